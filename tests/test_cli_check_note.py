"""The integrity check at open runs before a command-line command (app/workspace.py): when it will take
a while (a large database, or the full check after a crash) the command says so on stderr first, in
Chinese with its rough length, and its stdout stays the command's own."""

from __future__ import annotations

import json

from app import cli, logs
from app.cli import main as cli_main


def _stats(root, capsys) -> tuple[dict, str]:
    try:
        assert cli_main(["stats", "--data-dir", str(root), "--json"]) == 0
    finally:
        logs.shutdown()
    out = capsys.readouterr()
    return json.loads(out.out), out.err


def test_a_quick_check_of_a_small_database_passes_without_a_word(village_ws, capsys):
    village_ws.close()
    report, err = _stats(village_ws.root, capsys)
    assert report["station"]["code"] == "370681101201"
    assert "检查" not in err


def test_a_long_check_is_announced_with_its_length_and_stdout_stays_the_commands(
    village_ws, capsys, monkeypatch
):
    village_ws.close()
    size_mb = village_ws.db_path.stat().st_size / 1e6
    monkeypatch.setattr(cli, "QUICK_CHECK_MB_S", size_mb / 40)  # as if it took 40 seconds
    report, err = _stats(village_ws.root, capsys)
    assert report["station"]["code"] == "370681101201"
    assert "正在检查它是否完好，大约需要 40 秒，请稍候" in err
    assert "上次没有正常关闭" not in err


def test_after_a_crash_the_full_check_is_announced_as_such(village_ws, capsys, monkeypatch):
    village_ws.close()
    (village_ws.root / "minqing.db.open").touch()  # an earlier version's run ended without closing
    size_mb = village_ws.db_path.stat().st_size / 1e6
    monkeypatch.setattr(cli, "FULL_CHECK_MB_S", size_mb / 180)  # as if it took three minutes
    _report, err = _stats(village_ws.root, capsys)
    assert "上次没有正常关闭，正在全面检查它是否完好，大约需要 3 分钟，请稍候" in err
