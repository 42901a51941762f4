"""Looking into a bundle file without importing it (``python -m app inspect``): its manifest, and
whether its signature, hashes and sender check out and what it would bring."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.sync import bundle, keys
from app.sync.bundle import BundleRejected
from app.sync.common import check_sender, local_station
from app.workspace import Workspace


@dataclass
class Inspection:
    file: str
    manifest: dict[str, Any] | None
    signature_ok: bool
    hashes_ok: bool | None  # None: not checked (no key)
    enrolled: bool | None
    decrypted_counts: dict[str, int] | None
    problem: str | None


def inspect_file(path: Path, ws: Workspace | None = None) -> Inspection:
    try:
        data = bundle.read_file(path)
        parsed = bundle.parse(data)
    except BundleRejected as exc:
        return Inspection(str(path), None, False, None, None, None, exc.reason)
    m = parsed.manifest
    hashes_ok = hashlib.sha256(parsed.payload).hexdigest() == m.get("payload", {}).get("sha256")
    enrolled = None
    counts = None
    problem = None if hashes_ok else "内容损坏：数据部分的校验值不符"
    if ws is not None and hashes_ok:
        try:
            check_sender(ws, local_station(ws), m)
            enrolled = True
            bundle.check_capabilities(m)
            sections = bundle.decrypt(parsed, keys.load_encrypt_key(ws.keys_dir, ws.key))
            counts = {
                name.split(":", 1)[1]: sec["count"]
                for sec in m["sections"]
                for name in [sec["name"]]
                if name.startswith("table:") and name in sections
            }
        except BundleRejected as exc:
            problem = exc.reason
            enrolled = enrolled or not exc.reason.startswith(("未登记", "已吊销", "签名不符", "不属于"))
            hashes_ok = hashes_ok and not exc.reason.startswith("内容损坏")
    return Inspection(str(path), m, True, hashes_ok, enrolled, counts, problem)
