"""``python -m app``: no arguments opens the window; anything else is the command line.

This is the composition root named in DESIGN.md: the only place in ``app`` that reaches the UI, and
it does so by name at run time, so nothing in ``app`` depends on Qt and the CLI starts without it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if (
        not argv
        or (len(argv) == 2 and argv[0] == "--data-dir")
        or (len(argv) == 1 and argv[0].startswith("--data-dir="))
    ):
        import importlib

        run: Callable[..., int] = importlib.import_module("ui.app").run
        data_dir = None
        if argv:
            data_dir = argv[1] if len(argv) == 2 else argv[0].split("=", 1)[1]
        return run(data_dir=data_dir)
    from app.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
