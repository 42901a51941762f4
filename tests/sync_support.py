"""Helpers for the sync tests: enrolled station pairs, household data written as a cadre would, and
a content dump of a database to prove "changed nothing"."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

from db import cipher
from db.models import Attachment, Household, Person

from app.sync import records
from app.sync.enrollment import enroll, export_card
from app.workspace import Workspace

from tests.conftest import ADMIN


@contextlib.contextmanager
def without_town_rule() -> Iterator[None]:
    """A dishonest town's program: its writes skip the rule that a town never writes village records
    (``app.ownership.refuse_village_records_at_town``), as one edited around the services would."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from app import ownership

    rule = ownership.refuse_village_records_at_town
    if not event.contains(Session, "before_flush", rule):  # already off (nested)
        yield
        return
    event.remove(Session, "before_flush", rule)
    try:
        yield
    finally:
        event.listen(Session, "before_flush", rule)


def enroll_village(village: Workspace, town: Workspace, tmp: Path) -> None:
    card = export_card(village, tmp / f"card-{village.require_station().id}.json")
    enroll(town, card)


def add_household(ws: Workspace, head: str, members: tuple[str, ...] = (), *, group: str = "一组") -> str:
    with ws.session() as s:
        h = Household(head_name=head, group_name=group, address=f"{group}{len(head)}号", phones="13812345678")
        s.add(h)
        s.flush()
        p = Person(household_id=h.id, name=head, relation="户主", sex="男", birth_date=dt.date(1960, 5, 1))
        s.add(p)
        for name in members:
            s.add(
                Person(
                    household_id=h.id, name=name, relation="子女", sex="女", birth_date=dt.date(1990, 1, 2)
                )
            )
        s.flush()
        h.head_id = p.id
        return h.id


def edit_household(ws: Workspace, household_id: str, **values) -> None:
    """Straight into the database. At a town that is around its services (which refuse it): the sync
    tests use it to make a town's change travel down, and to see the village refuse it."""
    with without_town_rule(), ws.session() as s:
        h = s.get(Household, household_id)
        for k, v in values.items():
            setattr(h, k, v)


def delete_household(ws: Workspace, household_id: str) -> None:
    from db.base import utcnow

    with ws.session() as s:
        s.get(Household, household_id).deleted_at = utcnow()


def add_attachment(ws: Workspace, owner_id: str, content: bytes, filename: str = "照片.jpg") -> str:
    sha = hashlib.sha256(content).hexdigest()
    path = ws.attachments_dir / sha[:2] / sha
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    with ws.session() as s:
        a = Attachment(
            owner_table="household",
            owner_id=owner_id,
            filename=filename,
            mime="image/jpeg",
            size=len(content),
            sha256=sha,
        )
        s.add(a)
        s.flush()
        return a.id


def add_demand(ws: Workspace, household_id: str, content: str = "申请低保") -> str:
    """A diary entry of the village's administrator with one demand of ``household_id``."""
    from sqlalchemy import select

    from db.models import Demand, DiaryEntry, User

    with ws.session() as s:
        admin = s.scalars(select(User).where(User.username == "admin")).one()
        entry = DiaryEntry(
            cadre_id=admin.id,
            occurred_at=dt.datetime(2024, 5, 6, 9, 30),
            kind="入户走访",
            situation="户主腿脚不便",
        )
        s.add(entry)
        s.flush()
        d = Demand(
            entry_id=entry.id, household_id=household_id, category="低保", content=content, status="待办"
        )
        s.add(d)
        s.flush()
        return d.id


def edit_demand(ws: Workspace, demand_id: str, **values) -> None:
    from db.models import Demand

    with without_town_rule(), ws.session() as s:  # (at a town: around its services, as edit_household)
        d = s.get(Demand, demand_id)
        for k, v in values.items():
            setattr(d, k, v)


def synced_rows(ws: Workspace, village_code: str) -> dict[str, list[tuple]]:
    """Every synced table's travelling columns for one village, sorted by id."""
    out = {}
    with ws.engine.connect() as conn:
        for spec in records.table_specs():
            cols = ", ".join(f'"{c}"' for c in spec.columns)
            out[spec.record_type] = conn.exec_driver_sql(
                f'SELECT {cols} FROM "{spec.table_name}" WHERE village_code = ? ORDER BY id', (village_code,)
            ).fetchall()
    return out


def content_dump(ws: Workspace) -> list[str]:
    """The database's full content as SQL (independent of WAL/file layout)."""
    con = cipher.connect(ws.db_path, ws.key)
    try:
        out = []
        for name, kind, sql in con.execute("SELECT name, type, sql FROM sqlite_master ORDER BY type, name"):
            out.append(f"{kind} {name}: {sql}")
            if kind == "table" and not (sql or "").startswith("CREATE VIRTUAL"):
                out.extend(sorted(f"{name} {row!r}" for row in con.execute(f'SELECT * FROM "{name}"')))
        return out
    finally:
        con.close()


# -- a town holding two villages' demo data that arrived through real bundles ---------------------
SECOND_VILLAGE = ("370681101202", "李家村")
DEMO_TODAY = dt.date(2024, 6, 1)


def demo_village(
    root: Path, town: Workspace, town_card: Path, code: str, name: str, *, households: int, seed: int
) -> Workspace:
    """A village set up against ``town``, enrolled there, filled by the demo steps (all features)."""
    from app import demo
    from app.stations import init_station

    ws = Workspace.open(root / f"village-{code}", credentials=ADMIN)
    init_station(
        ws,
        kind="village",
        code=code,
        name=name,
        town_card=town_card,
        admin_user="admin",
        admin_password="admin-pass-1",
        admin_display_name=f"{name}管理员",
    )
    enroll_village(ws, town, root)
    demo.run(ws, households=households, seed=seed, today=DEMO_TODAY)
    return ws


def fill_what_the_demo_leaves_out(ws: Workspace) -> None:
    """One live row in the synced tables the demo may leave empty: a custom tag, a 补记, a 必访事件."""
    from sqlalchemy import select

    from db.models import DiaryEntry, User

    from app.diary import entries, visits
    from app.households import tags

    with ws.session() as s:
        admin = s.scalars(select(User).where(User.username == "admin")).one()
        s.expunge(admin)
    with ws.work(admin) as w:
        tags.add_tag_definition(w, "种粮大户", description="流转土地 50 亩以上")
        entry_id = w.session.scalars(
            select(DiaryEntry.id).where(DiaryEntry.deleted_at.is_(None)).order_by(DiaryEntry.occurred_at)
        ).first()
        entries.add_amendment(
            w,
            entry_id,
            "回访时补充：低保材料已交镇民政办。",
            reason="漏记",
            now=dt.datetime(2024, 6, 1, 9, 0),
        )
        household_id = w.session.scalars(
            select(Household.id).where(Household.deleted_at.is_(None)).order_by(Household.head_name)
        ).first()
        visits.record_must_visit(w, household_id, "住院", DEMO_TODAY, note="突发脑梗住院", today=DEMO_TODAY)


def export_one(ws: Workspace, stick: Path) -> Path:
    from app.sync.export import export_bundles

    (result,) = export_bundles(ws, stick)
    return result.path


def build_town_of_two_villages(root: Path, templates: dict, *, households: int = 8) -> dict[str, Path]:
    """Copies of the town template plus two demo villages; the villages' bundles imported at the town.
    Returns the data dirs (all workspaces closed)."""
    import shutil

    from app.sync.importer import import_bundles

    town = Workspace.open(shutil.copytree(templates["town"], root / "town"), create=False, credentials=ADMIN)
    stick = root / "stick"
    stick.mkdir()
    first = demo_village(
        root, town, templates["town_card"], "370681101201", "张家村", households=households, seed=1
    )
    fill_what_the_demo_leaves_out(first)
    second = demo_village(root, town, templates["town_card"], *SECOND_VILLAGE, households=households, seed=2)
    report = import_bundles(town, [export_one(first, stick), export_one(second, stick)])
    assert [b.status for b in report.bundles] == ["imported", "imported"], report.as_json()
    dirs = {"town": town.root, "first": first.root, "second": second.root}
    for ws in (town, first, second):
        ws.close()
    return dirs


def copy_dirs(dirs: dict[str, Path], dest: Path) -> dict[str, Path]:
    import shutil

    return {k: shutil.copytree(v, dest / k) for k, v in dirs.items()}


# -- forging bundles as a dishonest village (or town) would: a real bundle, decrypted, changed, re-signed --
def open_bundle(path: Path, recipient: Workspace) -> tuple[dict, dict[str, bytes]]:
    """A real bundle's manifest and plain sections, decrypted with the recipient's key."""
    from app.sync import bundle, keys

    parsed = bundle.parse(path.read_bytes())
    sections = bundle.decrypt(parsed, keys.load_encrypt_key(recipient.keys_dir, recipient.key))
    return parsed.manifest, sections


def section_doc(sections: dict[str, bytes], record_type: str) -> dict:
    import json

    return json.loads(sections[f"table:{record_type}"])


def forge_bundle(
    sender: Workspace,
    recipient: Workspace,
    manifest: dict,
    sections: dict[str, bytes],
    out: Path,
    *,
    sequence: int | None = None,
    bundle_id: str | None = None,
    raw_manifest: bytes | None = None,
) -> Path:
    """Encrypt ``sections`` to ``recipient`` and sign them with ``sender``'s real key: a bundle the
    sender's station could have written, whatever it holds. ``raw_manifest`` replaces the manifest
    bytes as they are (for manifests no honest writer makes)."""
    import struct
    import uuid

    from app.sync import bundle, keys

    m = {k: v for k, v in manifest.items() if k not in ("sections", "encryption", "payload")}
    m["bundle_id"] = bundle_id or str(uuid.uuid4())
    if sequence is not None:
        m["sequence"] = sequence
    secs = [
        bundle.Section(name, data, _count(name, data), compress=name != "attachments")
        for name, data in sections.items()
    ]
    recipient_station = recipient.require_station()
    data = bundle.build(
        m, secs, keys.load_sign_key(sender.keys_dir, sender.key), recipient_station.encrypt_public_key
    )
    if raw_manifest is not None:
        nl = data.index(b"\n")
        (mlen,) = struct.unpack_from(">I", data, nl + 1)
        body = (
            data[: nl + 1] + struct.pack(">I", len(raw_manifest)) + raw_manifest + data[nl + 5 + mlen : -66]
        )
        sig = keys.load_sign_key(sender.keys_dir, sender.key).sign(body)
        data = body + struct.pack(">H", len(sig)) + sig
    out.write_bytes(data)
    return out


def _count(name: str, data: bytes) -> int:
    import json

    try:
        if name.startswith("table:"):
            return len(json.loads(data)["rows"])
        if name == "attachments.index":
            return len(json.loads(data))
    except (RecursionError, ValueError, KeyError, TypeError):  # a forged section: any count will do
        return 1
    return 0


def with_rows(
    sections: dict[str, bytes],
    record_type: str,
    rows: list[list],
    *,
    columns: list[str] | None = None,
    replace: bool = False,
) -> dict[str, bytes]:
    """``sections`` with ``rows`` added to (or replacing) one table's rows."""
    import json

    doc = json.loads(sections[f"table:{record_type}"])
    if columns is not None:
        doc["columns"] = columns
    doc["rows"] = rows if replace else doc["rows"] + rows
    out = dict(sections)
    out[f"table:{record_type}"] = json.dumps(doc, ensure_ascii=False).encode("utf-8")
    return out


def rewrite_manifest(path: Path, sender: Workspace, change) -> Path:
    """Replace a bundle's manifest bytes by ``change(bytes)`` and sign the file again with ``sender``'s key."""
    import struct

    from app.sync import keys

    data = path.read_bytes()
    nl = data.index(b"\n")
    (mlen,) = struct.unpack_from(">I", data, nl + 1)
    new = change(data[nl + 5 : nl + 5 + mlen])
    body = data[: nl + 1] + struct.pack(">I", len(new)) + new + data[nl + 5 + mlen : -66]
    sig = keys.load_sign_key(sender.keys_dir, sender.key).sign(body)
    path.write_bytes(body + struct.pack(">H", len(sig)) + sig)
    return path
