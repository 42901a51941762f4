"""Key slots: the workspace key, wrapped once per account and once by the recovery code (docs/security.md).

The file ``keys/database.keys`` (JSON, 0600) lives outside the database, because it must be read before
the database can be. Each slot holds the workspace key encrypted with AES-256-GCM under a key-encryption
key: for an account, argon2id of that account's password with the slot's own salt; for the recovery
slot, argon2id of the recovery code. The associated data binds a slot to its workspace, kind and
account, so a slot copied to another account or file does not open. Nothing in the file opens without
a password or the recovery code; a wrong one is told apart from a right one only by the GCM tag.

A *provisional* slot holds the key in the clear. It exists only between the creation of an empty
workspace and its first station (no resident's data is in it then); :func:`KeySlots.seal_provisional`
drops it as soon as the first account or the recovery code has a slot.

Every value read from the file is checked before use (types, lengths, and argon2 costs within bounds),
so a planted file can neither crash the program nor make it spend minutes or gigabytes.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import argon2.low_level as argon2
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from db import run_marks
from db.files import private_dir, private_file

log = logging.getLogger("minqing.keys")

FILE_NAME = "database.keys"
FORMAT = "minqing-keyslots"
VERSION = 1
KEY_BYTES = 32

# argon2id costs of a new slot: about 0.1 s on the development machine (the same as the password hash).
TIME_COST, MEMORY_KIB, PARALLELISM = 3, 65536, 4
# Bounds on the costs read from a file (a planted 2^32 KiB would take the machine's memory).
MAX_TIME_COST, MAX_MEMORY_KIB, MAX_PARALLELISM = 16, 1024 * 1024, 16
MAX_FILE_BYTES = 1024 * 1024
MAX_SLOTS = 1000

# The recovery code: 20 characters from 32 that cannot be mistaken for one another (no 0/O, 1/I/L),
# 100 bits, written in five groups of four.
RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECOVERY_LENGTH = 20


class KeySlotsDamaged(Exception):
    """The key-slot file is unreadable or malformed (the message is Chinese)."""


class SlotsBusy(Exception):
    """Another program is changing the slots and did not finish in time (the message is Chinese)."""


@dataclass
class Kdf:
    salt: bytes
    time_cost: int = TIME_COST
    memory_kib: int = MEMORY_KIB
    parallelism: int = PARALLELISM

    def derive(self, secret: str) -> bytes:
        return argon2.hash_secret_raw(
            secret.encode("utf-8"),
            self.salt,
            time_cost=self.time_cost,
            memory_cost=self.memory_kib,
            parallelism=self.parallelism,
            hash_len=KEY_BYTES,
            type=argon2.Type.ID,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": "argon2id",
            "salt": _b64(self.salt),
            "t": self.time_cost,
            "m": self.memory_kib,
            "p": self.parallelism,
        }

    @classmethod
    def from_json(cls, data: Any) -> Kdf:
        if not isinstance(data, dict) or data.get("name") != "argon2id":
            raise KeySlotsDamaged("密钥文件里有无法识别的密钥派生方式")
        salt = _unb64(data.get("salt"), "salt")
        t, m, p = data.get("t"), data.get("m"), data.get("p")
        for value, top in ((t, MAX_TIME_COST), (m, MAX_MEMORY_KIB), (p, MAX_PARALLELISM)):
            if type(value) is not int or not 1 <= value <= top:
                raise KeySlotsDamaged("密钥文件里的密钥派生参数超出范围")
        assert isinstance(t, int) and isinstance(m, int) and isinstance(p, int)
        if m < 8 * p or not 8 <= len(salt) <= 64:
            raise KeySlotsDamaged("密钥文件里的密钥派生参数超出范围")
        return cls(salt, t, m, p)

    @classmethod
    def fresh(cls) -> Kdf:
        return cls(os.urandom(16))


@dataclass
class Slot:
    kind: str  # "account" | "recovery" | "provisional"
    kdf: Kdf | None = None
    nonce: bytes = b""
    wrapped: bytes = b""
    user_id: str = ""
    username: str = ""
    made_at: str = ""
    from_hash: bool = False  # made at conversion from the account's password hash; re-wrapped at sign-in

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "made_at": self.made_at}
        if self.kind == "provisional":
            out["key"] = _b64(self.wrapped)
            return out
        assert self.kdf is not None, "a wrapped slot has its derivation"
        out.update(kdf=self.kdf.to_json(), nonce=_b64(self.nonce), wrapped=_b64(self.wrapped))
        if self.kind == "account":
            out.update(user_id=self.user_id, username=self.username, from_hash=self.from_hash)
        return out

    @classmethod
    def from_json(cls, data: Any) -> Slot:
        if not isinstance(data, dict):
            raise KeySlotsDamaged("密钥文件的格式不对")
        kind = data.get("kind")
        made_at = _text(data.get("made_at", ""), "made_at")
        if kind == "provisional":
            key = _unb64(data.get("key"), "key")
            if len(key) != KEY_BYTES:
                raise KeySlotsDamaged("密钥文件的格式不对")
            return cls("provisional", wrapped=key, made_at=made_at)
        if kind not in ("account", "recovery"):
            raise KeySlotsDamaged("密钥文件里有无法识别的条目")
        slot = cls(
            kind,
            Kdf.from_json(data.get("kdf")),
            _unb64(data.get("nonce"), "nonce"),
            _unb64(data.get("wrapped"), "wrapped"),
            made_at=made_at,
        )
        if len(slot.nonce) != 12 or len(slot.wrapped) != KEY_BYTES + 16:
            raise KeySlotsDamaged("密钥文件的格式不对")
        if kind == "account":
            slot.user_id = _text(data.get("user_id"), "user_id")
            slot.username = _text(data.get("username"), "username")
            slot.from_hash = data.get("from_hash") is True
        return slot


@dataclass
class KeySlots:
    """The key slots of one workspace. Change it, then :meth:`save`."""

    workspace: str
    slots: list[Slot] = field(default_factory=list)
    # user id → display name (姓名) of the active accounts, for the sign-in list before the database is
    # open. Not secret (the login names beside them are not either); a planted name only mislabels an
    # entry of that list: the password still has to open the account's slot.
    names: dict[str, str] = field(default_factory=dict)

    # -- reading and writing -----------------------------------------------------------------------
    @classmethod
    def new(cls) -> KeySlots:
        return cls(secrets.token_hex(16))

    @classmethod
    def load(cls, keys_dir: Path) -> KeySlots | None:
        """The slots of the workspace whose keys folder is ``keys_dir`` (None: there is no file)."""
        return cls.read(Path(keys_dir) / FILE_NAME)

    @classmethod
    def read(cls, path: Path) -> KeySlots | None:
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return None
        if size > MAX_FILE_BYTES:
            raise KeySlotsDamaged(f"密钥文件 {path.name} 大小不对，可能已损坏")
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise KeySlotsDamaged(f"密钥文件 {path.name} 无法读取，可能已损坏") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
            raise KeySlotsDamaged(f"{path.name} 不是民情簿的密钥文件，或由更新的版本写出")
        raw = data.get("slots")
        if not isinstance(raw, list) or len(raw) > MAX_SLOTS:
            raise KeySlotsDamaged(f"密钥文件 {path.name} 的格式不对")
        workspace = _text(data.get("workspace"), "workspace")
        return cls(workspace, [Slot.from_json(s) for s in raw], _names(data.get("names")))

    def to_bytes(self) -> bytes:
        data = {
            "format": FORMAT,
            "version": VERSION,
            "workspace": self.workspace,
            "slots": [s.to_json() for s in self.slots],
        }
        if self.names:
            data["names"] = dict(sorted(self.names.items()))
        return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")

    def save(self, keys_dir: Path) -> Path:
        """Write atomically (temporary file, synced, renamed), owner-only; the copies beside the
        workspace's backups follow (:meth:`_follow_in_backups`)."""
        private_dir(Path(keys_dir))
        data = self.to_bytes()
        saved = write_atomically(Path(keys_dir) / FILE_NAME, data)
        self._follow_in_backups(Path(keys_dir).parent / BACKUPS_DIR, data)
        return saved

    def _follow_in_backups(self, backups_dir: Path, data: bytes) -> None:
        """The slots kept beside each backup of this workspace (``<backup>.keys``) made the same as these.
        The key is the workspace's for life, so a slot kept there would open the live database too: a
        stopped account's password, a changed one, a replaced recovery code must open nothing in the
        workspace's folder. (A copy taken to a stick keeps the slots it had: docs/security.md.)"""
        if not backups_dir.is_dir():
            return
        for beside in backups_dir.glob("*.keys"):
            try:
                kept = KeySlots.read(beside)
                if kept is not None and kept.workspace == self.workspace and kept.to_bytes() != data:
                    write_atomically(beside, data)
            except (KeySlotsDamaged, OSError) as exc:  # the live slots are written: said, not raised
                log.warning("备份旁的密钥文件 %s 没能更新：%s", beside.name, exc)

    @classmethod
    def change(cls, keys_dir: Path, key: bytes, edit: Callable[[KeySlots, bytes], object]) -> None:
        """Read the slots of ``keys_dir`` (new ones if there are none), ``edit`` them with the workspace
        ``key`` and write them, one program at a time (``keys/slots.lock``): two programs changing two
        passwords at once each kept the file as it had read it, and one account was left with no slot
        its new password opens."""
        with run_marks.held(Path(keys_dir) / SLOTS_LOCK) as got:
            if got is False:
                raise SlotsBusy("另一个民情簿正在修改账号的密码，请稍等几秒再试")
            slots = cls.load(keys_dir) or cls.new()
            edit(slots, key)
            slots.save(keys_dir)

    # -- slots ---------------------------------------------------------------------------------------
    def _aad(self, slot: Slot) -> bytes:
        return f"minqing/{self.workspace}/{slot.kind}/{slot.user_id}".encode()

    def _wrap(self, slot: Slot, kek: bytes, key: bytes) -> Slot:
        slot.nonce = os.urandom(12)
        slot.wrapped = AESGCM(kek).encrypt(slot.nonce, key, self._aad(slot))
        slot.made_at = _now()
        return slot

    def _unwrap(self, slot: Slot, kek: bytes) -> bytes | None:
        try:
            key = AESGCM(kek).decrypt(slot.nonce, slot.wrapped, self._aad(slot))
        except InvalidTag:
            return None
        return key if len(key) == KEY_BYTES else None

    @property
    def provisional_key(self) -> bytes | None:
        return next((s.wrapped for s in self.slots if s.kind == "provisional"), None)

    def set_provisional(self, key: bytes) -> None:
        self.slots = [s for s in self.slots if s.kind != "provisional"]
        self.slots.append(Slot("provisional", wrapped=key, made_at=_now()))

    def seal_provisional(self) -> None:
        """Drop the key kept in the clear, once a password or the recovery code wraps it."""
        if any(s.kind in ("account", "recovery") for s in self.slots):
            self.slots = [s for s in self.slots if s.kind != "provisional"]

    def account_slot(self, username: str) -> Slot | None:
        return next((s for s in self.slots if s.kind == "account" and s.username == username), None)

    def account_slots(self, user_id: str) -> list[Slot]:
        return [s for s in self.slots if s.kind == "account" and s.user_id == user_id]

    def has_account(self, user_id: str) -> bool:
        return any(s.kind == "account" and s.user_id == user_id for s in self.slots)

    @property
    def has_recovery(self) -> bool:
        return any(s.kind == "recovery" for s in self.slots)

    def set_account(self, key: bytes, user_id: str, username: str, password: str) -> None:
        """Wrap ``key`` for the account (replacing its slot: a new password re-wraps only this one)."""
        slot = self.add_account(key, user_id, username, password)
        self.keep_only(slot)
        self.seal_provisional()

    def add_account(self, key: bytes, user_id: str, username: str, password: str) -> Slot:
        """A further slot for the account, beside the one it has: until the password change it belongs
        to is committed, either password opens the workspace (then :meth:`keep_only`)."""
        slot = Slot("account", Kdf.fresh(), user_id=user_id, username=username)
        assert slot.kdf is not None
        self.slots.append(self._wrap(slot, slot.kdf.derive(password), key))
        return slot

    def keep_only(self, keep: Slot) -> None:
        """Drop the other slots of ``keep``'s account, or the other recovery slots."""
        self.slots = [
            s for s in self.slots if s.kind != keep.kind or s.user_id != keep.user_id or s.nonce == keep.nonce
        ]

    def set_account_from_hash(self, key: bytes, user_id: str, username: str, encoded_hash: str) -> bool:
        """Wrap ``key`` for an account whose password is not known here, from its argon2id password hash
        (a database converted to encryption): the hash *is* argon2id of the password with its salt, so
        the account's password opens the slot. False when the hash is not one this can use."""
        parsed = _parse_argon2(encoded_hash)
        if parsed is None:
            return False
        kdf, raw = parsed
        self.remove_account(user_id)
        slot = Slot("account", kdf, user_id=user_id, username=username, from_hash=True)
        self.slots.append(self._wrap(slot, raw, key))
        self.seal_provisional()
        return True

    def rename_account(self, user_id: str, username: str) -> None:
        for slot in self.slots:
            if slot.kind == "account" and slot.user_id == user_id:
                slot.username = username

    def remove_account(self, user_id: str) -> None:
        self.slots = [s for s in self.slots if not (s.kind == "account" and s.user_id == user_id)]

    def sign_in_choices(self) -> list[tuple[str, str]]:
        """(姓名, login name) of each account that opens the database, by name; an account without a
        known name shows its login name."""
        seen: dict[str, str] = {}
        for slot in self.slots:
            if slot.kind == "account" and slot.user_id not in seen:
                seen[slot.user_id] = slot.username
        return sorted(((self.names.get(uid) or name, name) for uid, name in seen.items()), key=lambda c: c[0])

    def login_name(self, typed: str) -> str:
        """The login name meant by ``typed``: itself when it is one; else the login name of the one account
        of that 姓名 (two of one name must type their login names); else ``typed`` unchanged."""
        typed = typed.strip()
        if self.account_slot(typed) is not None:
            return typed
        named = {name for label, name in self.sign_in_choices() if label == typed and name != label}
        return named.pop() if len(named) == 1 else typed

    def open_account(self, username: str, password: str) -> tuple[bytes, Slot] | None:
        """The workspace key, when ``password`` is the password of ``username`` here."""
        for slot in [s for s in self.slots if s.kind == "account" and s.username == username][:4]:
            if slot.kdf is None:
                continue
            key = self._unwrap(slot, slot.kdf.derive(password))
            if key is not None:
                return key, slot
        return None

    def set_recovery(self, key: bytes) -> str:
        """A new recovery code wrapping ``key`` (the old code stops working). Returns the code, to be
        shown once and never stored."""
        code, slot = self.add_recovery(key)
        self.keep_only(slot)
        self.seal_provisional()
        return code

    def add_recovery(self, key: bytes) -> tuple[str, Slot]:
        """A new recovery slot beside the old one (drop that with :meth:`keep_only` once the new code
        has been confirmed)."""
        code = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        slot = Slot("recovery", Kdf.fresh())
        assert slot.kdf is not None
        self.slots.append(self._wrap(slot, slot.kdf.derive(code), key))
        return format_recovery_code(code), slot

    def open_recovery(self, code: str) -> bytes | None:
        normal = normalize_recovery_code(code)
        if normal is None:
            return None
        for slot in [s for s in self.slots if s.kind == "recovery"][:4]:
            if slot.kdf is not None and (key := self._unwrap(slot, slot.kdf.derive(normal))) is not None:
                return key
        return None


def format_recovery_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize_recovery_code(text: str) -> str | None:
    """What a person typed, without spaces, dashes or case; None when it cannot be a recovery code."""
    code = "".join(ch for ch in text.upper() if ch not in " -\t\r\n")
    code = code.replace("O", "0").replace("I", "1").replace("L", "1")  # then refused as not in the alphabet
    if len(code) != RECOVERY_LENGTH or any(ch not in RECOVERY_ALPHABET for ch in code):
        return None
    return code


BACKUPS_DIR = "backups"  # beside keys/ in a workspace (app.workspace)
SLOTS_LOCK = "slots.lock"  # keys/: held while the slots are read, changed and written (KeySlots.change)


def write_atomically(path: Path, data: bytes) -> Path:
    # a name of its own: two runs writing at once must not rename each other's half-written file
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # (a full disk: no half-written file of a name of its own is left)
        raise
    return private_file(path)


def _parse_argon2(encoded: str) -> tuple[Kdf, bytes] | None:
    parts = encoded.split("$") if isinstance(encoded, str) else []
    if len(parts) != 6 or parts[1] != "argon2id" or parts[2] != "v=19":
        return None
    try:
        params = dict(p.split("=", 1) for p in parts[3].split(","))
        kdf = Kdf(_unb64(parts[4], "salt"), int(params["t"]), int(params["m"]), int(params["p"]))
        raw = _unb64(parts[5], "hash")
    except (KeyError, ValueError, KeySlotsDamaged):
        return None
    if len(raw) != KEY_BYTES:
        return None
    return kdf, raw


MAX_NAME_CHARS = 64


def _names(value: Any) -> dict[str, str]:
    """The sign-in names as read from the file: anything malformed is dropped (they are labels only)."""
    if not isinstance(value, dict) or len(value) > MAX_SLOTS:
        return {}
    return {
        k: v.strip()[:MAX_NAME_CHARS]
        for k, v in value.items()
        if isinstance(k, str) and isinstance(v, str) and len(k) <= MAX_NAME_CHARS and v.strip()
    }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or len(value) > 4096:
        raise KeySlotsDamaged(f"密钥文件里的 {what} 格式不对")
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise KeySlotsDamaged(f"密钥文件里的 {what} 格式不对") from None


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or len(value) > 200:
        raise KeySlotsDamaged(f"密钥文件里的 {what} 格式不对")
    return value


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
