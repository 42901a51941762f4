"""Where a workspace lives: ``--data-dir`` beats ``MINQING_DATA_DIR`` beats the platform's data dir."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_VAR = "MINQING_DATA_DIR"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("minqing", appauthor=False))


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser().resolve()
    return default_data_dir()


def resources_dir() -> Path:
    """The ``resources/`` folder, from source or from a frozen build."""
    import sys

    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))
    return base / "resources"


CJK_FAMILY = "NotoSerifSC"  # the name every PDF gives the bundled font (app/pdf_fonts.py)


def cjk_font_path() -> Path:
    """The bundled serif CJK font (Noto Serif SC, OFL) used for PDFs and as the UI fallback."""
    return resources_dir() / "fonts" / "NotoSerifSC-Regular.otf"


def icon_path() -> Path:
    """The program's icon (a red seal with 民; tools/make_icon.py): the windows' title bars and task bar."""
    return resources_dir() / "icon" / "minqing.png"


def cjk_common_font_path() -> Path:
    """The bundled font's common characters alone (GB 2312 level 1, family "Noto Serif CJK SC Common"):
    the window draws with it first and falls back to :func:`cjk_font_path` (tools/make_font.py)."""
    return resources_dir() / "fonts" / "NotoSerifSC-Common.otf"
