"""``demo --steps``: a bench or a quick look can make only the roster; each step's time is reported."""

from __future__ import annotations

import json

import pytest

from app import demo
from app.cli import main
from app.stats import live_counts
from app.workspace import Workspace


def test_steps_choose_a_prefix_of_the_demo_steps():
    assert demo.chosen_steps(None) == demo.DEMO_STEPS
    assert [demo.step_name(s) for s in demo.chosen_steps(["households"])] == ["households"]
    assert [demo.step_name(s) for s in demo.chosen_steps(["diary"])] == ["households", "diary"]  # what it needs
    with pytest.raises(ValueError, match="没有这个演示步骤：天气"):
        demo.chosen_steps(["天气"])


def test_demo_with_households_only_makes_no_diary_and_reports_each_steps_time(tmp_path, capsys):
    assert main(["demo", "--data-dir", str(tmp_path / "d"), "--households", "20", "--steps", "households",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["made"]["households"] == 20 and "diary_entries" not in out["made"]
    assert set(out["seconds"]) == {"total", "households"} and out["seconds"]["total"] >= out["seconds"]["households"]
    ws = Workspace.open(tmp_path / "d", create=False)
    try:
        with ws.session() as s:
            counts = live_counts(s)[demo.DEMO_VILLAGE["code"]]
    finally:
        ws.close()
    assert counts["households"] == 20 and counts["diary_entries"] == 0
    assert main(["demo", "--data-dir", str(tmp_path / "e"), "--steps", "天气", "--json"]) == 1
