"""The bundle file (上报包 / 下发包): layout, encryption to the recipient, signature by the sender.

Layout (format version 1, documented in ``docs/bundle-format.md``)::

    b"MINQING-BUNDLE 1\\n"            header line: magic and format version
    u32 big-endian, manifest JSON    clear text: who, what, counts, hashes
    u64 big-endian, payload          AES-256-GCM ciphertext
    u16 big-endian, signature        Ed25519 over every byte before it

The payload key is fresh for every bundle: an ephemeral X25519 key agrees a secret with the
recipient's X25519 public key, HKDF-SHA256 derives the AES key. Only the ``cryptography`` package
does cryptography here.

Reading never trusts a field before it has been checked; every failure is a :class:`BundleRejected`
whose ``reason`` starts with one of the words in :data:`REASONS`.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import hashlib
import json
import os
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.errors import folder_gone, os_error_text
from app.sync import gate, keys
from app.sync.gate import REASONS as REASONS  # re-exported: callers name them here
from app.sync.gate import BundleRejected as BundleRejected

MAGIC = b"MINQING-BUNDLE "
FORMAT_VERSION = 1
FORMAT_NAME = "minqing-bundle"
ENCRYPTION = "X25519-HKDF-SHA256-AES256GCM"
# What a reader must understand to use the payload. A bundle requiring anything else is refused.
CAPABILITIES = frozenset({"rows-json-zlib", "attachments-inline"})


@dataclass
class Section:
    """One part of the decrypted payload: a table's rows (JSON, zlib) or the attachment files."""

    name: str
    data: bytes  # plain (uncompressed) bytes
    count: int
    compress: bool = True


@dataclass
class ParsedBundle:
    manifest: dict[str, Any]
    manifest_bytes: bytes
    payload: bytes  # ciphertext
    signature: bytes
    size: int
    sections: dict[str, bytes] = field(default_factory=dict)  # filled by decrypt()


def _canonical(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _aad(manifest: dict[str, Any]) -> bytes:
    """Associated data binding the ciphertext to this bundle, sender and recipient."""
    return _canonical(
        {
            "bundle_id": manifest["bundle_id"],
            "sender": manifest["sender"]["station_id"],
            "recipient": manifest["recipient"]["station_id"],
        }
    )


def _derive_key(shared: bytes, bundle_id: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=bundle_id.encode("ascii"),
        info=b"minqing-bundle-v1 payload key",
    ).derive(shared)


def build(
    manifest: dict[str, Any],
    sections: list[Section],
    sign_key: Ed25519PrivateKey,
    recipient_encrypt_public: str,
    *,
    format_version: int = FORMAT_VERSION,
) -> bytes:
    """Encrypt ``sections`` to the recipient, complete ``manifest`` and sign the whole file."""
    stored = []
    manifest["sections"] = []
    for sec in sections:
        blob = zlib.compress(sec.data, 6) if sec.compress else sec.data
        stored.append(blob)
        manifest["sections"].append(
            {
                "name": sec.name,
                "count": sec.count,
                "size": len(sec.data),
                "stored_size": len(blob),
                "compressed": sec.compress,
                "sha256": hashlib.sha256(sec.data).hexdigest(),
            }
        )
    plaintext = b"".join(stored)
    ephemeral = X25519PrivateKey.generate()
    shared = ephemeral.exchange(keys.encrypt_public(recipient_encrypt_public))
    nonce = os.urandom(12)
    manifest["encryption"] = {
        "algorithm": ENCRYPTION,
        "ephemeral_public": keys.b64(
            ephemeral.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        ),
        "nonce": keys.b64(nonce),
    }
    ciphertext = AESGCM(_derive_key(shared, manifest["bundle_id"])).encrypt(nonce, plaintext, _aad(manifest))
    manifest["payload"] = {"size": len(ciphertext), "sha256": hashlib.sha256(ciphertext).hexdigest()}
    manifest_bytes = _canonical(manifest)
    body = b"".join(
        [
            MAGIC + str(format_version).encode("ascii") + b"\n",
            struct.pack(">I", len(manifest_bytes)),
            manifest_bytes,
            struct.pack(">Q", len(ciphertext)),
            ciphertext,
        ]
    )
    signature = sign_key.sign(body)
    return body + struct.pack(">H", len(signature)) + signature


def parse(data: bytes) -> ParsedBundle:
    """Split and check the file's structure, format version and signature (by the key it names).

    Whether that key is the one pinned for the sender is the caller's check (enrollment).
    """
    newline = data.find(b"\n", 0, 64)
    if not data.startswith(MAGIC[:7]) and len(data) >= 7:
        raise BundleRejected("不是民情簿上报包：文件开头不对，可能拿错了文件")
    if newline < 0:
        raise BundleRejected("文件不完整：文件头缺失")
    if not data.startswith(MAGIC):
        raise BundleRejected("不是民情簿上报包：文件开头不对，可能拿错了文件")
    version_text = data[len(MAGIC) : newline]
    if not version_text.isdigit():
        raise BundleRejected("内容损坏：文件头的格式版本无法识别")
    version = int(version_text)
    if version > FORMAT_VERSION:
        raise BundleRejected(
            f"版本过新：这是第 {version} 版格式的包，本程序只认到第 {FORMAT_VERSION} 版，请升级民情簿"
        )
    if version < 1:
        raise BundleRejected("内容损坏：文件头的格式版本无法识别")
    pos = newline + 1
    try:
        (mlen,) = struct.unpack_from(">I", data, pos)
        pos += 4
        if mlen > gate.MAX_MANIFEST:
            raise BundleRejected(f"内容损坏：清单过大（{mlen} 字节，上限 {gate.MAX_MANIFEST} 字节）")
        manifest_bytes = data[pos : pos + mlen]
        if len(manifest_bytes) != mlen:
            raise BundleRejected("文件不完整：清单被截断")
        pos += mlen
        (plen,) = struct.unpack_from(">Q", data, pos)
        pos += 8
        payload = data[pos : pos + plen]
        if len(payload) != plen:
            raise BundleRejected("文件不完整：数据部分被截断")
        pos += plen
        signed_end = pos
        (slen,) = struct.unpack_from(">H", data, pos)
        pos += 2
        signature = data[pos : pos + slen]
        if len(signature) != slen or slen != 64:
            raise BundleRejected("文件不完整：签名被截断")
        pos += slen
    except struct.error:
        raise BundleRejected("文件不完整：文件被截断") from None
    if pos != len(data):
        raise BundleRejected("内容损坏：文件末尾有多余的数据")
    manifest = gate.check_manifest(
        gate.load_json(
            manifest_bytes,
            what="清单",
            max_bytes=gate.MAX_MANIFEST,
            max_depth=gate.MAX_DEPTH,
            fail=lambda text: BundleRejected(f"内容损坏：{text}"),
        )
    )
    try:
        sender_key = keys.sign_public(manifest["sender"]["sign_public_key"])
    except ValueError:
        raise BundleRejected("签名不符：清单里的公钥无效，无法核对签名") from None
    try:
        sender_key.verify(signature, data[:signed_end])
    except InvalidSignature:
        raise BundleRejected("签名不符：文件在签名之后被改动过或已损坏") from None
    if manifest.get("format") != FORMAT_NAME:
        raise BundleRejected("不是民情簿上报包：清单格式不对")
    return ParsedBundle(manifest, manifest_bytes, payload, signature, len(data))


def check_capabilities(manifest: dict[str, Any]) -> None:
    unknown = sorted(set(manifest["requires"]) - CAPABILITIES)
    if unknown:
        raise BundleRejected(f"版本过新：这个包需要本程序不具备的功能（{'、'.join(unknown)}），请升级民情簿")


def decrypt(parsed: ParsedBundle, encrypt_key: X25519PrivateKey, *, threads: int = 1) -> dict[str, bytes]:
    """Decrypt and split the payload; checks every section's size and SHA-256 against the manifest.

    ``threads``: the sections are inflated and hashed on that many threads (zlib and SHA-256 let go of
    the GIL): for the importer's first bundle, which the writer waits for with nothing else to do (a
    village-year's 33 MB: 75 → 45 ms on two cores). The sections are checked all the same, and the first
    one in the manifest's order that fails is the one named."""
    m = parsed.manifest
    if hashlib.sha256(parsed.payload).hexdigest() != m["payload"]["sha256"]:
        raise BundleRejected("内容损坏：数据部分的校验值不符")
    enc = m["encryption"]
    if enc.get("algorithm") != ENCRYPTION:
        raise BundleRejected(f"版本过新：未知的加密方式 {enc.get('algorithm')}")
    try:
        ephemeral = keys.encrypt_public(enc["ephemeral_public"])
        shared = encrypt_key.exchange(ephemeral)
        plaintext = AESGCM(_derive_key(shared, m["bundle_id"])).decrypt(
            keys.unb64(enc["nonce"]), parsed.payload, _aad(m)
        )
    except (InvalidTag, ValueError):
        raise BundleRejected("内容损坏：无法解密（这个包不是发给本工作站的，或已损坏）") from None
    pieces: list[tuple[dict[str, Any], bytes]] = []
    pos = 0
    for sec in m["sections"]:  # sizes, names and hashes passed the gate (check_manifest)
        blob = plaintext[pos : pos + sec["stored_size"]]
        pos += sec["stored_size"]
        if len(blob) != sec["stored_size"]:
            raise BundleRejected("内容损坏：数据部分的长度与清单不符")
        pieces.append((sec, blob))
    if pos != len(plaintext):
        raise BundleRejected("内容损坏：数据部分的长度与清单不符")
    del plaintext
    if threads > 1 and len(pieces) > 1:
        with concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="bundle-sections") as pool:
            raws = list(pool.map(_opened_section, pieces))  # (the first failure in order is raised)
    else:
        raws = [_opened_section(piece) for piece in pieces]
    sections = {sec["name"]: raw for (sec, _blob), raw in zip(pieces, raws, strict=True)}
    parsed.sections = sections
    return sections


def _opened_section(piece: tuple[dict[str, Any], bytes]) -> bytes:
    """A section's stored bytes inflated (never beyond its declared size) and checked against its
    declared size and SHA-256."""
    sec, blob = piece
    raw = gate.decompress(blob, sec["size"], section_words(sec["name"])) if sec["compressed"] else blob
    if len(raw) != sec["size"] or hashlib.sha256(raw).hexdigest() != sec["sha256"]:
        raise BundleRejected(f"内容损坏：{section_words(sec['name'])}的校验值不符")
    return raw


@functools.lru_cache(maxsize=64)
def section_words(name: str) -> str:
    """A section of a bundle as a clerk reads it (“户”部分, 附件目录); a name the program does not know
    (the manifest's, already bounded by the gate) as it is."""
    from app.sync import records  # (late: it imports the sync modules this one sits beside)
    from app.sync.common import ATTACHMENT_DATA, ATTACHMENT_INDEX

    if name.startswith("table:") and name[6:] in (labels := records.labels()):
        return f"“{labels[name[6:]]}”部分"
    return {ATTACHMENT_INDEX: "附件目录", ATTACHMENT_DATA: "附件内容"}.get(name, f"{name} 部分")


def read_file(path: Path) -> bytes:
    try:
        size = os.stat(path).st_size
        if size > gate.MAX_BUNDLE_FILE:
            raise BundleRejected(
                f"内容损坏：文件有 {size // 1048576} MB，超过上报包的上限 "
                f"{gate.MAX_BUNDLE_FILE // 1048576} MB，不像民情簿的包"
            )
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise BundleRejected(f"文件不完整：找不到文件 {path}") from None
    except OSError as exc:
        raise BundleRejected(f"文件不完整：无法读取 {path}（{os_error_text(exc)}）") from None


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):  # (on a stick that is gone there is nothing left to remove)
        path.unlink(missing_ok=True)


def write_atomically(out: Path, data: bytes, verify: Callable[[bytes], object]) -> Path:
    """Write to a temp name in the same folder, fsync, read back and ``verify(bytes)``, then rename.

    A stick pulled out mid-write leaves at most a ``.tmp`` file, never a half bundle under the real name.
    """
    tmp = out.with_name(out.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        back = tmp.read_bytes()
        if back != data:
            raise OSError("read-back differs")
        verify(back)
        os.replace(tmp, out)
    except (FileNotFoundError, NotADirectoryError):  # the folder went away: a stick pulled out
        _unlink_quietly(tmp)
        raise folder_gone(out) from None
    except BaseException:
        _unlink_quietly(tmp)
        raise
    try:
        fd = os.open(out.parent, os.O_RDONLY)
    except OSError:  # Windows cannot open folders; the rename is durable enough there
        return out
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
    return out
