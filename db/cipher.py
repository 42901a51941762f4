"""Encryption at rest (docs/security.md): the workspace database is a SQLCipher file, and files kept
beside it that hold residents' data (attachments, diary drafts) are sealed with the same key.

One random 256-bit key per workspace, never typed by anyone; it reaches this module as bytes, unwrapped
from a key slot (:mod:`db.keyslots`). The database takes it as a raw key (no passphrase derivation at
every open). Every connection to a workspace database, the engine's and the backups', is made here so
that the key and the page size are given the same way each time (SQLCipher keeps neither in the file
in plain). ``key=None`` is a plain SQLite file: a database from before encryption, on its way to being
converted (:func:`encrypt_database`), and the bench's yardstick.

Sealed files are AES-256-GCM with a subkey derived per purpose (HKDF-SHA256), a random nonce, and the
file's name or record id as associated data, so a sealed file moved to another name does not open.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import sqlcipher3.dbapi2 as sqlcipher
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from db.diary_fulltext import register_functions

if TYPE_CHECKING:
    from sqlalchemy import Engine

# The DBAPI module of every workspace connection (plain ones too, so that one SQLite runs everywhere).
dbapi: Any = sqlcipher
Error = sqlcipher.Error
DatabaseError = sqlcipher.DatabaseError
OperationalError = sqlcipher.OperationalError
IntegrityError = sqlcipher.IntegrityError
ProgrammingError = sqlcipher.ProgrammingError
InterfaceError = sqlcipher.InterfaceError


# None → None by a call in C (a dict's ``get`` of a key it lacks), cheaper than a Python function
_AS_NULL = cast("Callable[[None], None]", {}.get)

# Binding a parameter that is not exactly int, float or str (None, bytes, bool) makes the driver look
# for an adapter, and sqlcipher3 then tries the value's ``__conform__``, raising and dropping an
# AttributeError for every such value: about 2 µs a NULL, where a text binds in 0.1 µs. A bundle's
# rows carry NULLs in many columns, and that search was 15 % of a 30-village import (bench_sync).
# With an adapter registered for the type the lookup stops at once; what is bound does not change
# (None stays NULL, bytes a blob, a bool the integer it already was).
sqlcipher.register_adapter(type(None), _AS_NULL)
sqlcipher.register_adapter(bytes, bytes)
sqlcipher.register_adapter(bool, int)

KEY_BYTES = 32
# 16 KiB pages (db/engine.py says why). SQLCipher cannot read the page size from an encrypted header,
# so every connection states it.
PAGE_SIZE = 16384
PLAIN_HEADER = b"SQLite format 3\x00"

SEAL_MAGIC = b"MQS1"
_NONCE = 12


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


def is_plain(path: Path) -> bool:
    """Is ``path`` a plain (unencrypted) SQLite database? An empty or missing file is not."""
    try:
        with open(path, "rb") as f:
            return f.read(len(PLAIN_HEADER)) == PLAIN_HEADER
    except OSError:
        return False


def key_pragmas(key: bytes | None, schema: str = "main") -> list[str]:
    """The statements that must come first on a connection to a workspace database."""
    if key is None:
        return []
    if len(key) != KEY_BYTES:
        raise ValueError("a workspace key is 32 bytes")
    return [
        f"PRAGMA {schema}.key = \"x'{key.hex()}'\"",
        f"PRAGMA {schema}.cipher_page_size = {PAGE_SIZE}",
    ]


def prepare(conn: Any, key: bytes | None) -> None:
    """Key a new DBAPI connection (before anything else runs on it), and give it the SQL functions the
    schema's triggers call (the diary's bigram index, db/diary_fulltext.py)."""
    conn.execute("PRAGMA cipher_log_level = NONE")  # SQLCipher's own English lines never reach stderr
    for statement in key_pragmas(key):
        conn.execute(statement)
    register_functions(conn)


def connect(path: Path | str, key: bytes | None, *, readonly: bool = False) -> Any:
    """A DBAPI connection to a workspace database (``readonly``: opened read-only, as a check is)."""
    if readonly:
        conn = sqlcipher.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    else:
        conn = sqlcipher.connect(str(path))
    try:
        prepare(conn, key)
    except BaseException:
        conn.close()
        raise
    return conn


def encrypt_database(plain: Path, target: Path, key: bytes) -> None:
    """Write an encrypted copy of the plain database ``plain`` to ``target`` (which must not exist).
    The caller checks the copy before it replaces anything."""
    conn = connect(target, key)
    try:
        conn.isolation_level = None
        conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(plain),))
        conn.execute("SELECT sqlcipher_export('main', 'plain')")
        conn.execute("DETACH DATABASE plain")
    finally:
        conn.close()


# -- the key of an open engine (attachments and drafts find it from their session) -----------------
_engine_keys: weakref.WeakKeyDictionary[Engine, bytes] = weakref.WeakKeyDictionary()


def remember_key(engine: Engine, key: bytes | None) -> None:
    if key is not None:
        _engine_keys[engine] = key


def engine_key(engine: Engine) -> bytes | None:
    """The workspace key of ``engine`` (None for a plain database)."""
    return _engine_keys.get(engine)


# -- sealed files -----------------------------------------------------------------------------------
def _subkey(key: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"minqing/{purpose}".encode()).derive(
        key
    )


def seal(key: bytes, purpose: str, data: bytes, label: str) -> bytes:
    """``data`` encrypted and authenticated for ``purpose`` ("attachment", "draft"), bound to ``label``."""
    nonce = os.urandom(_NONCE)
    return SEAL_MAGIC + nonce + AESGCM(_subkey(key, purpose)).encrypt(nonce, data, label.encode())


def is_sealed(blob: bytes) -> bool:
    return blob[: len(SEAL_MAGIC)] == SEAL_MAGIC


class SealBroken(Exception):
    """A sealed file that does not open with this key and label (damaged, moved or another workspace's)."""


def unseal(key: bytes, purpose: str, blob: bytes, label: str) -> bytes:
    from cryptography.exceptions import InvalidTag

    if not is_sealed(blob):
        raise SealBroken("not a sealed file")
    nonce = blob[len(SEAL_MAGIC) : len(SEAL_MAGIC) + _NONCE]
    try:
        return AESGCM(_subkey(key, purpose)).decrypt(nonce, blob[len(SEAL_MAGIC) + _NONCE :], label.encode())
    except InvalidTag:
        raise SealBroken("the seal does not open") from None
