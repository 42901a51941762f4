"""Run the benchmarks: every ``bench/bench_*.py`` exposes ``run(report)``; ``report(name, value, unit, target)``
records one row. Prints a table (name, value, unit, target, ok?).

    python -m bench.run                  # all benches
    python -m bench.run startup diary    # only benches whose file name contains one of the words
    python -m bench.run --list           # what there is
    python -m bench.run --json out.json  # also write the rows as JSON

Exit status 0 when every row with a target met it, 1 otherwise (a bench that raised counts as failed).
A target is an upper bound ("<= target") unless the bench passes ``target=(">=", x)``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"


@dataclass
class Row:
    bench: str
    name: str
    value: float | None
    unit: str
    target: float | None
    at_least: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool | None:
        if self.error:
            return False
        if self.target is None or self.value is None:
            return None
        return self.value >= self.target if self.at_least else self.value <= self.target

    def cells(self) -> list[str]:
        value = "—" if self.value is None else f"{self.value:,.3f}".rstrip("0").rstrip(".")
        if self.target is None:
            target = ""
        else:
            target = ("≥ " if self.at_least else "≤ ") + f"{self.target:g}"
        ok = {True: "ok", False: "FAIL", None: ""}[self.ok]
        return [
            f"{self.bench}: {self.name}",
            value,
            self.unit,
            target,
            ok if not self.error else f"FAIL ({self.error})",
        ]


def discover() -> list[str]:
    return sorted(p.stem for p in BENCH_DIR.glob("bench_*.py"))


def run_benches(names: list[str], *, echo=print) -> list[Row]:
    rows: list[Row] = []
    for module_name in names:
        short = module_name.removeprefix("bench_")

        def report(name: str, value: float | None, unit: str = "", target=None, *, _short=short) -> None:
            at_least = False
            if isinstance(target, tuple):
                at_least, target = target[0] == ">=", target[1]
            if not isinstance(target, (int, float)):  # "" or None: a row without a target
                target = None
            row = Row(_short, name, value, unit, target, at_least)
            rows.append(row)
            echo("  " + "  ".join(c for c in row.cells() if c))

        echo(f"[{short}] …")
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{module_name}")
            module.run(report)
        except Exception as exc:
            traceback.print_exc()
            rows.append(Row(short, "(bench raised)", None, "", None, error=f"{type(exc).__name__}: {exc}"))
        echo(f"[{short}] {time.perf_counter() - started:.1f} s")
    return rows


def table(rows: list[Row]) -> str:
    header = ["测量项 measurement", "value", "unit", "target", "ok?"]
    cells = [header] + [r.cells() for r in rows]

    def width(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    widths = [max(width(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for n, row in enumerate(cells):
        lines.append(
            "  ".join(
                c + " " * (widths[i] - width(c)) if i != 1 else " " * (widths[i] - width(c)) + c
                for i, c in enumerate(row)
            ).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description="民情簿 benchmarks")
    parser.add_argument("select", nargs="*", help="only benches whose name contains one of these words")
    parser.add_argument("--list", action="store_true", help="list the benches and exit")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = parser.parse_args(argv)
    names = discover()
    if args.list:
        print("\n".join(n.removeprefix("bench_") for n in names))
        return 0
    if args.select:
        names = [n for n in names if any(word in n for word in args.select)]
        if not names:
            parser.error(f"no bench matches {args.select}; see --list")
    sys.path.insert(0, str(BENCH_DIR.parent))
    OUT_DIR.mkdir(exist_ok=True)
    rows = run_benches(names)
    print()
    print(table(rows))
    if args.json:
        Path(args.json).write_text(
            json.dumps([asdict(r) | {"ok": r.ok} for r in rows], ensure_ascii=False, indent=2),
            encoding="utf-8",
        )
    return 1 if any(r.ok is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
