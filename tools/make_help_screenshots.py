"""Make the screenshots of the 使用说明 (resources/help/img/) from the demo, at 1366×768, scaled to 800 px.

    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python -m tools.make_help_screenshots

Builds a demo village and its demo town in a temporary folder (the village's 上报包 imported at the town,
through the command line as a clerk would), opens the real window at each, visits every screen and saves
``village-<page>.png`` and ``town-<page>.png``: scaled to 800 px wide and reduced to a 256-colour palette
(Pillow), so the whole guide stays small. Prints each file's size and the total. Re-run it after a screen
changes; the names are those the guide's pages use (tests/test_help.py checks they exist).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "help" / "img"
WIDTH = 800
VILLAGE_PAGES = (
    "home",
    "households",
    "diary",
    "mediation",
    "sync",
    "reports",
    "settings",
    "keycases",
    "aid",
    "projects",
    "informants",
    "wulian",
    "reviews",
)
TOWN_PAGES = ("home", "diary", "sync", "reviews")
TOWN_TABS = {"sync": 1, "diary": 2}  # 各村情况; 村级上报诉求


def _cli(*args: object) -> None:
    env = dict(os.environ, MINQING_USER="admin", MINQING_PASSWORD="minqing", PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "app", *map(str, args)], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL)


def build_demo(root: Path) -> tuple[Path, Path]:
    village, stick = root / "village", root / "stick"
    town = village / "demo-town"
    stick.mkdir()
    _cli("demo", "--data-dir", village, "--households", 120)
    _cli("card", "export", "--data-dir", village, "--out", root / "card.json")
    _cli("enroll", "--data-dir", town, root / "card.json")
    _cli("bundle", "export", "--data-dir", village, "--out", stick)
    _cli("bundle", "import", "--data-dir", town, stick)
    return village, town


def _settle(app, ms: int = 50) -> None:
    from PySide6.QtCore import QDeadlineTimer, QEventLoop

    app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, QDeadlineTimer(ms))


def save_small(image, path: Path) -> int:
    """Scale a window grab to WIDTH px and store it as a palette PNG; returns its size in bytes."""
    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice, Qt

    scaled = image.scaledToWidth(WIDTH, Qt.TransformationMode.SmoothTransformation)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    scaled.save(buffer, "PNG")
    import io

    picture = Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGB")
    picture.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, optimize=True
    )
    return path.stat().st_size


def _show_history(page, _ws, _admin) -> None:
    page.show_ended.setChecked(True)  # the 信息员 list with an ended term


def _a_paired_cadre(page, ws, admin) -> None:
    """The administrator's own 五联 page is empty: show the cadre with the most categories paired."""
    from app.households import wulian

    with ws.work(admin) as w:
        filled = {
            cid: sum(1 for c in wulian.wulian(w, cid).categories if c.pairings)
            for cid, _name in wulian.cadre_choices(w)
        }
    if filled:
        page.cadre.setCurrentIndex(page.cadre.findData(max(filled, key=lambda c: (filled[c], c))))


PREPARE = {"informants": _show_history, "wulian": _a_paired_cadre}


def shoot(data_dir: Path, prefix: str, pages: tuple[str, ...]) -> list[tuple[Path, int]]:
    from app import accounts
    from app.demo import DEMO_ADMIN
    from app.workspace import Workspace

    from ui.app import make_application
    from ui.context import AppContext
    from ui.main_window import MainWindow

    app = make_application()
    ws = Workspace.open(data_dir, create=False, credentials=DEMO_ADMIN)
    with ws.work(None) as w:
        admin = accounts.first_active_admin(w)
        w.session.expunge(admin)
    window = MainWindow(AppContext(ws, admin))
    window.resize(1366, 768)
    window.show()
    made = []
    try:
        for key in pages:
            page = window.open_page(key)
            deadline = time.monotonic() + 60
            while getattr(page, "ready", lambda: True)() is False and time.monotonic() < deadline:
                _settle(app, 20)
                time.sleep(0.02)
            if prefix == "town" and key in TOWN_TABS and hasattr(page, "tabs"):
                page.tabs.setCurrentIndex(TOWN_TABS[key])
            if key in PREPARE:
                PREPARE[key](page, ws, admin)
            for _ in range(10):
                _settle(app)
            path = OUT / f"{prefix}-{key}.png"
            made.append((path, save_small(window.grab().toImage(), path)))
    finally:
        window.close()
        _settle(app)
        window.deleteLater()
        ws.close()
    return made


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="minqing-help-") as tmp:
        village, town = build_demo(Path(tmp))
        made = shoot(village, "village", VILLAGE_PAGES) + shoot(town, "town", TOWN_PAGES)
    for path, size in made:
        print(f"{path.relative_to(ROOT)}  {size / 1024:.0f} KB")
    total = sum(p.stat().st_size for p in OUT.glob("*.png"))
    print(f"共 {len(made)} 张，resources/help/img 合计 {total / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
