"""The station's key pairs: Ed25519 for signing, X25519 for receiving encrypted bundles.

Private keys are PEM files in ``<workspace>/keys`` readable only by the owner (0600).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

SIGN_KEY = "sign.key"
ENCRYPT_KEY = "encrypt.key"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _raw_public(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _write_private(path: Path, key: Ed25519PrivateKey | X25519PrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())


def generate(keys_dir: Path) -> tuple[str, str]:
    """Create both key pairs; returns (sign public, encrypt public) as base64 raw bytes."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    sign = Ed25519PrivateKey.generate()
    enc = X25519PrivateKey.generate()
    _write_private(keys_dir / SIGN_KEY, sign)
    _write_private(keys_dir / ENCRYPT_KEY, enc)
    return b64(_raw_public(sign)), b64(_raw_public(enc))


def load_sign_key(keys_dir: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key((keys_dir / SIGN_KEY).read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey), "generate() wrote an Ed25519 key"
    return key


def load_encrypt_key(keys_dir: Path) -> X25519PrivateKey:
    key = serialization.load_pem_private_key((keys_dir / ENCRYPT_KEY).read_bytes(), password=None)
    assert isinstance(key, X25519PrivateKey), "generate() wrote an X25519 key"
    return key


def sign_public(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(unb64(text))


def encrypt_public(text: str) -> X25519PublicKey:
    return X25519PublicKey.from_public_bytes(unb64(text))
