#!/usr/bin/env python3
"""Set up and run 民情簿 from a checkout, on Debian/Ubuntu, Windows or macOS.

    python3 dev.py demo    # set up, then open the window on a demo village (./demo-workspace/)
    python3 dev.py test    # set up, then lint (ruff), type-check (mypy) and run the whole test suite
    python3 dev.py setup   # only set up

"Set up" = create .venv, install the project with its test extras (again only when pyproject.toml
changed: its hash is kept in .venv), and on Debian/Ubuntu as root install the system libraries Qt
needs when they are missing. Uses only the standard library, so it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / "minqing-setup.sha256"
DEMO_DIR = ROOT / "demo-workspace"
WINDOWS = os.name == "nt"

# What PySide6's Qt needs from Debian/Ubuntu for the offscreen and xcb (X11) platforms (ldd of the Qt
# libraries and platform plugins), pdftoppm for the tests, plus venv support for the system Python.
APT_PACKAGES = [
    "libegl1",
    "libgl1",
    "libfontconfig1",
    "libfreetype6",
    "libglib2.0-0",
    "libdbus-1-3",
    "libxkbcommon0",
    "libx11-6",
    "libx11-xcb1",
    "libxcb1",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-shm0",
    "libxcb-sync1",
    "libxcb-xfixes0",
    "libxcb-xkb1",
    "libxkbcommon-x11-0",
    "poppler-utils",  # pdftoppm: the tests turn a printed page into a picture
]


def say(text: str) -> None:
    print(f"[dev.py] {text}", flush=True)


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if WINDOWS else "bin/python")


def run(cmd: list[str | Path], **kwargs) -> int:
    return subprocess.call([str(c) for c in cmd], cwd=ROOT, **kwargs)


def missing_debian_packages(packages: list[str]) -> list[str]:
    if not shutil.which("dpkg-query"):
        return []
    missing = []
    for pkg in packages:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
        if "install ok installed" not in out.stdout:
            missing.append(pkg)
    return missing


def ensure_system_packages() -> None:
    if not sys.platform.startswith("linux"):
        return
    venv_pkg = f"python3.{sys.version_info.minor}-venv"
    wanted = APT_PACKAGES + ([venv_pkg] if not _has_ensurepip() else [])
    missing = missing_debian_packages(wanted)
    if not missing:
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        say("installing system packages for Qt: " + " ".join(missing))
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        if run(["apt-get", "update", "-q"], env=env) or run(
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing], env=env
        ):
            sys.exit("[dev.py] apt-get failed; install these packages and retry: " + " ".join(missing))
    else:
        say("these system packages seem missing (run as root to install them automatically):")
        say("  sudo apt-get install " + " ".join(missing))


def _has_ensurepip() -> bool:
    try:
        import ensurepip  # noqa: F401
    except ImportError:
        return False
    return True


def pyproject_hash() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def setup() -> Path:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 the machine has
        sys.exit(f"[dev.py] Python 3.11 or newer is needed (this is {sys.version.split()[0]})")
    ensure_system_packages()
    python = venv_python()
    if not python.exists():
        say(f"creating {VENV.name}/")
        if run([sys.executable, "-m", "venv", VENV]):
            sys.exit(
                "[dev.py] could not create the virtual environment (on Debian/Ubuntu: apt-get install python3-venv)"
            )
    if STAMP.exists() and STAMP.read_text().strip() == pyproject_hash():
        return python
    say("installing minqing with its test extras into .venv (only when pyproject.toml changed)")
    if run([python, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", ".[test]"]):
        sys.exit("[dev.py] pip install failed (see above)")
    STAMP.write_text(pyproject_hash())
    return python


def has_display() -> bool:
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def demo(python: Path, extra: list[str]) -> int:
    if not (DEMO_DIR / "minqing.db").exists():
        say(f"making the demo village in {DEMO_DIR.name}/ (your real data folder is not touched)")
        if run([python, "-m", "app", "demo", "--data-dir", DEMO_DIR]):
            return 1
    if not has_display():
        say("no display here (DISPLAY is not set): checking the window offscreen instead of opening it")
        return run([python, "-m", "app", "selftest", "--data-dir", DEMO_DIR, "--offscreen"])
    say("opening the window; sign in as admin / minqing")
    return run([python, "-m", "app", "--data-dir", DEMO_DIR, *extra])


def lint(python: Path) -> int:
    """ruff's rules and its formatting, then mypy (pyproject.toml says which packages, how strictly), before
    the tests: a lint or type failure fails the run."""
    say("ruff check, ruff format --check, mypy")
    return (
        run([python, "-m", "ruff", "check", "--quiet", "."])
        or run([python, "-m", "ruff", "format", "--check", "--quiet", "."])
        or run([python, "-m", "mypy"])
    )


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "help"
    if command not in ("demo", "test", "setup"):
        print(__doc__)
        return 0 if command in ("help", "-h", "--help") else 2
    python = setup()
    if command == "demo":
        return demo(python, argv[1:])
    if command == "test":
        return lint(python) or run([python, "-m", "pytest", "-q", *argv[1:]])
    say("ready: " + str(python))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
