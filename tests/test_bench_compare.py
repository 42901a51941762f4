"""bench/compare.py: the change per row between two runs written by ``python -m bench.run --json``."""

import json

from bench.compare import compare, main


def _run(tmp_path, name, rows):
    path = tmp_path / name
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


def test_compare_prints_each_row_s_change_and_whether_it_meets_its_target(tmp_path, capsys):
    old = [
        {
            "bench": "households",
            "name": "search",
            "value": 600.0,
            "unit": "ms",
            "target": 50,
            "at_least": False,
        },
        {
            "bench": "sync",
            "name": "import ratio",
            "value": 0.37,
            "unit": "×",
            "target": 0.5,
            "at_least": True,
        },
        {"bench": "gone", "name": "old row", "value": 1.0, "unit": "s", "target": None, "at_least": False},
    ]
    new = [
        {
            "bench": "households",
            "name": "search",
            "value": 30.0,
            "unit": "ms",
            "target": 50,
            "at_least": False,
        },
        {"bench": "sync", "name": "import ratio", "value": 0.4, "unit": "×", "target": 0.5, "at_least": True},
        {"bench": "new", "name": "new row", "value": None, "unit": "s", "target": None, "at_least": False},
    ]
    table = compare(
        {f"{r['bench']}: {r['name']}": r for r in old}, {f"{r['bench']}: {r['name']}": r for r in new}
    )
    assert table[1] == ["households: search", "600", "30", "ms", "-95.0 %", "≤ 50 ok"]
    assert table[2] == ["sync: import ratio", "0.37", "0.4", "×", "+8.1 %", "≥ 0.5 FAIL"]
    assert len(table) == 3
    assert main([str(_run(tmp_path, "a.json", old)), str(_run(tmp_path, "b.json", new))]) == 0
    out = capsys.readouterr().out
    assert "only before: gone: old row" in out and "only after: new: new row" in out
