"""``demo --steps``: a bench or a quick look can make only the roster; each step's time is reported."""

from __future__ import annotations

import json

import pytest

from app import demo
from app.cli import main
from app.demo import DEMO_ADMIN
from app.stats import live_counts
from app.workspace import Workspace


def test_steps_choose_a_prefix_of_the_demo_steps():
    assert demo.chosen_steps(None) == demo.DEMO_STEPS
    assert [demo.step_name(s) for s in demo.chosen_steps(["households"])] == ["households"]
    assert [demo.step_name(s) for s in demo.chosen_steps(["diary"])] == [
        "households",
        "diary",
    ]  # what it needs
    with pytest.raises(ValueError, match="没有这个演示步骤：天气"):
        demo.chosen_steps(["天气"])


def test_demo_with_households_only_makes_no_diary_and_reports_each_steps_time(tmp_path, capsys):
    assert (
        main(
            [
                "demo",
                "--data-dir",
                str(tmp_path / "d"),
                "--households",
                "20",
                "--steps",
                "households",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["made"]["households"] == 20 and "diary_entries" not in out["made"]
    assert (
        set(out["seconds"]) == {"total", "households"}
        and out["seconds"]["total"] >= out["seconds"]["households"]
    )
    ws = Workspace.open(tmp_path / "d", create=False, credentials=DEMO_ADMIN)
    try:
        # the data just generated is not copied into backups/ by the demo; the first close today is
        assert ws.is_due_daily_backup() and not list(ws.backups_dir.glob("*-daily*.db"))
        with ws.session() as s:
            counts = live_counts(s)[demo.DEMO_VILLAGE["code"]]
    finally:
        ws.close()
    assert counts["households"] == 20 and counts["diary_entries"] == 0
    assert len(list(ws.backups_dir.glob("*-daily*.db"))) == 1
    assert main(["demo", "--data-dir", str(tmp_path / "e"), "--steps", "天气", "--json"]) == 1


def test_demo_can_give_every_signature_a_file_of_its_own(village_ws):
    import datetime as dt
    import struct
    import zlib

    from sqlalchemy import select

    from db.models import Acknowledgement, Attachment

    from app import attachments, demo

    demo.run(
        village_ws,
        households=20,
        seed=5,
        today=dt.date(2024, 6, 1),
        steps=["households", "diary"],
        sizes={"unique_signatures": 1},
    )
    with village_ws.new_session() as s:
        rows = s.execute(
            select(Attachment.sha256, Attachment.size)
            .join(Acknowledgement, Acknowledgement.attachment_id == Attachment.id)
            .where(Acknowledgement.method == "当场签字")
        ).all()
    assert len(rows) > 10 and len({sha for sha, _size in rows}) == len(rows)
    with village_ws.engine.connect() as conn:
        stored = [attachments.load_blob(conn, village_ws.attachments_dir, sha) for sha, _size in rows[:5]]
    for (_sha, size), data in zip(rows[:5], stored, strict=True):
        assert (
            len(data) == size and data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(b"IEND\xaeB`\x82")
        )
        # every chunk's checksum holds: a valid PNG, not bytes appended at the end
        pos = 8
        while pos < len(data):
            (length,) = struct.unpack(">I", data[pos : pos + 4])
            kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
            assert struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0] == zlib.crc32(
                kind + body
            )
            pos += 12 + length


def test_the_whole_demo_run_again_on_its_workspace_is_refused_in_chinese(tmp_path, capsys):
    """Run again, its records collided with its own: an English IntegrityError, rows and IDs on stderr."""
    args = ["demo", "--data-dir", str(tmp_path / "d"), "--households", "5", "--steps", "households"]
    assert main(args) == 0
    assert main(args[:-2]) == 1
    err = capsys.readouterr().err
    assert "已经生成过演示数据" in err and "Traceback" not in err and "--steps" in err
