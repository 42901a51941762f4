"""The station's key pairs: Ed25519 for signing, X25519 for receiving encrypted bundles.

Private keys are PEM files in ``<workspace>/keys`` readable only by the owner (0600), sealed with the
workspace's database key (:func:`db.cipher.seal`, bound to the file's name): a lost laptop gives away
neither the key that signs the village's bundles at the town nor the one that opens the town's bundles
to it. A workspace whose database is plain (one from before encryption, until it is converted) keeps
them as plain PEM; a plain key file found when the database key is known is sealed in place
(:func:`seal_plain_keys`, at every unlock). The public keys are in the station's card and its public
copy (``app.workspace.Workspace.write_public_station``), which also keeps the card's signature, so that
``card export`` needs no account.
"""

from __future__ import annotations

import base64
import contextlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from db import cipher
from db.keyslots import write_atomically

from app.errors import UserError

SIGN_KEY = "sign.key"
ENCRYPT_KEY = "encrypt.key"
SEAL_PURPOSE = "station-key"
MAX_KEY_FILE = 64 * 1024  # a PEM private key is a few hundred bytes


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _raw_public(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _pem(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _stored(name: str, pem: bytes, db_key: bytes | None) -> bytes:
    return pem if db_key is None else cipher.seal(db_key, SEAL_PURPOSE, pem, name)


def _write_private(path: Path, key: Ed25519PrivateKey | X25519PrivateKey, db_key: bytes | None) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(_stored(path.name, _pem(key), db_key))
        f.flush()
        os.fsync(f.fileno())


def generate(keys_dir: Path, db_key: bytes | None) -> tuple[str, str]:
    """Create both key pairs, sealed with ``db_key`` (plain PEM when the database is plain); returns
    (sign public, encrypt public) as base64 raw bytes."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    sign = Ed25519PrivateKey.generate()
    enc = X25519PrivateKey.generate()
    _write_private(keys_dir / SIGN_KEY, sign, db_key)
    _write_private(keys_dir / ENCRYPT_KEY, enc, db_key)
    return b64(_raw_public(sign)), b64(_raw_public(enc))


def _pem_of(keys_dir: Path, name: str, db_key: bytes | None) -> bytes:
    """The PEM text of a private key file; a plain one is sealed in place when ``db_key`` is known."""
    path = keys_dir / name
    try:
        if path.stat().st_size > MAX_KEY_FILE:
            raise UserError(f"工作站的密钥文件 {path} 大小异常，不像民情簿写的；请从备份恢复工作目录")
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"找不到工作站的密钥文件 {path}；请从备份恢复工作目录") from None
    if not cipher.is_sealed(data):
        if db_key is not None:  # an older workspace's plain key: sealed now that the key is known
            write_atomically(path, _stored(name, data, db_key))
        return data
    if db_key is None:
        raise UserError(
            "工作站的密钥已加密保存：这个操作需要先登录（--user 登录名 --password-env 环境变量名）"
        )
    try:
        return cipher.unseal(db_key, SEAL_PURPOSE, data, name)
    except cipher.SealBroken:
        raise UserError(
            f"工作站的密钥文件 {path} 打不开（已损坏，或是别的工作目录的）；请从备份恢复工作目录"
        ) from None


def _private(keys_dir: Path, name: str, db_key: bytes | None) -> object:
    try:
        return serialization.load_pem_private_key(_pem_of(keys_dir, name, db_key), password=None)
    except ValueError:
        raise UserError(f"工作站的密钥文件 {keys_dir / name} 已损坏；请从备份恢复工作目录") from None


def load_sign_key(keys_dir: Path, db_key: bytes | None) -> Ed25519PrivateKey:
    key = _private(keys_dir, SIGN_KEY, db_key)
    if not isinstance(key, Ed25519PrivateKey):
        raise UserError(f"工作站的签名密钥文件 {keys_dir / SIGN_KEY} 不对；请从备份恢复工作目录")
    return key


def load_encrypt_key(keys_dir: Path, db_key: bytes | None) -> X25519PrivateKey:
    key = _private(keys_dir, ENCRYPT_KEY, db_key)
    if not isinstance(key, X25519PrivateKey):
        raise UserError(f"工作站的解密密钥文件 {keys_dir / ENCRYPT_KEY} 不对；请从备份恢复工作目录")
    return key


def seal_plain_keys(keys_dir: Path, db_key: bytes) -> None:
    """Seal the station's private key files still in plain PEM (a workspace from before this was done,
    or one converted to encryption), in place (:func:`_pem_of` does it when it reads one); a missing or
    unreadable file is left for the operation that needs it to report."""
    for name in (SIGN_KEY, ENCRYPT_KEY):
        if (keys_dir / name).exists():
            with contextlib.suppress(UserError):
                _pem_of(keys_dir, name, db_key)


def sign_public(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(unb64(text))


def encrypt_public(text: str) -> X25519PublicKey:
    return X25519PublicKey.from_public_bytes(unb64(text))
