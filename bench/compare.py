"""Compare two runs of the benchmarks: ``python -m bench.run --json OLD.json`` before a change, ``--json
NEW.json`` after, then

    python bench/compare.py OLD.json NEW.json

prints, per row found in both, the value before and after and the change in per cent (a row with a
target also says whether it meets it now). Rows only in one run are listed after.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _rows(path: Path) -> dict[str, dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = data["rows"] if isinstance(data, dict) else data
    return {f"{r['bench']}: {r['name']}": r for r in rows}


def _value(v: float | None) -> str:
    return "—" if v is None else f"{v:,.3f}".rstrip("0").rstrip(".")


def compare(old: dict[str, dict], new: dict[str, dict]) -> list[list[str]]:
    table = [["row", "before", "after", "unit", "change", "target"]]
    for name, after in new.items():
        before = old.get(name)
        if before is None:
            continue
        a, b = before.get("value"), after.get("value")
        change = "" if a in (None, 0) or b is None else f"{(b - a) / abs(a) * 100:+.1f} %"
        target = after.get("target")
        meets = ""
        if target is not None and b is not None:
            ok = b >= target if after.get("at_least") else b <= target
            meets = ("≥ " if after.get("at_least") else "≤ ") + f"{target:g} " + ("ok" if ok else "FAIL")
        table.append([name, _value(a), _value(b), after.get("unit", ""), change, meets])
    return table


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    old, new = (_rows(Path(p)) for p in argv)
    table = compare(old, new)
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for r in table:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    for label, names in (("only before", old.keys() - new.keys()), ("only after", new.keys() - old.keys())):
        for name in sorted(names):
            print(f"{label}: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
