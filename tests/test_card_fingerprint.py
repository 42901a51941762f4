"""Binding a town card is trust on first use: the village sees the card's town, code and the
fingerprint of its signing key, and binds only once the clerk has compared it with what the town's own
screen or ``card export`` shows (issue 15)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app import accounts
from app.errors import UserError
from app.stations import init_station
from app.sync import enrollment
from app.sync.enrollment import export_card
from app.workspace import Workspace

from tests.conftest import ADMIN, ADMIN_PASSWORD, TOWN_CODE, TOWN_NAME
from tests.test_town_binding import _village_without_card

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        "PYTHONPATH": str(ROOT),
        "MINQING_USER": ADMIN[0],
        "MINQING_PASSWORD": ADMIN[1],
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, cwd=ROOT, env=env, input=stdin
    )


def _second_town(tmp_path) -> Path:
    """Another town station with the same code and name: a new key (a forged card would look like this)."""
    other = Workspace.open(tmp_path / "town-again")
    init_station(other, kind="town", code=TOWN_CODE, name=TOWN_NAME)
    card = export_card(other, tmp_path / "town-again.json")
    other.close()
    return card


def test_fingerprint_is_the_same_on_both_sides_and_changes_with_the_key(town_ws, templates, tmp_path):
    town_side = enrollment.own_fingerprint(town_ws)
    groups = town_side.split(" ")
    assert len(groups) == 5 and all(len(g) == 4 and g == g.upper() for g in groups)
    int("".join(groups), 16)
    village = _village_without_card(tmp_path)
    try:
        card = enrollment.read_town_card(village, templates["town_card"])
        assert (card.name, card.code, card.fingerprint, card.already_bound) == (
            TOWN_NAME,
            TOWN_CODE,
            town_side,
            False,
        )
        assert not enrollment.town_binding(village).bound  # reading the card writes nothing
        second = _second_town(tmp_path)
        forged = enrollment.read_town_card(village, second)
        assert (forged.name, forged.code) == (card.name, card.code) and forged.fingerprint != town_side
        with pytest.raises(UserError, match="不一致：这张卡片可能被调换或伪造，未绑定"):
            enrollment.bind_town(village, second, fingerprint=town_side)
        assert not enrollment.town_binding(village).bound
        binding = enrollment.bind_town(
            village, templates["town_card"], fingerprint=town_side.lower().replace(" ", "")
        )
        assert binding.bound and binding.fingerprint == town_side
        assert enrollment.read_town_card(village, templates["town_card"]).already_bound
    finally:
        village.close()


def test_card_export_and_bind_print_the_same_fingerprint(town_ws, templates, tmp_path):
    town_side = enrollment.own_fingerprint(town_ws)
    town_dir = str(town_ws.root)
    town_ws.close()
    r = _cli("card", "export", "--data-dir", town_dir, "--out", str(tmp_path / "card.json"))
    assert r.returncode == 0, r.stderr
    assert f"签名密钥指纹：{town_side}" in r.stdout
    r = _cli("card", "export", "--data-dir", town_dir, "--out", str(tmp_path / "card2.json"), "--json")
    assert json.loads(r.stdout)["fingerprint"] == town_side
    village = _village_without_card(tmp_path)
    v = str(village.root)
    village.close()
    wrong = enrollment.key_fingerprint(station_card_of(_second_town(tmp_path)))
    r = _cli("bind", "--data-dir", v, str(tmp_path / "card.json"), "--fingerprint", wrong)
    assert r.returncode == 1 and "不一致" in r.stdout + r.stderr and "Traceback" not in r.stderr
    r = _cli("bind", "--data-dir", v, str(tmp_path / "card.json"), "--fingerprint", town_side, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["fingerprint"] == town_side


def station_card_of(path: Path) -> str:
    return json.loads(path.read_text("utf-8"))["sign_public_key"]


def test_the_window_asks_to_compare_the_fingerprint_before_binding(
    qtbot, town_ws, templates, tmp_path, monkeypatch
):
    from ui.context import AppContext
    from ui.sync.page import SyncPage

    town_side = enrollment.own_fingerprint(town_ws)
    town_page = SyncPage(AppContext(town_ws, _admin(town_ws)))
    qtbot.addWidget(town_page)
    town_page.show()
    town_page.refresh()
    town_page.stations.refresh()
    assert f"本镇卡片的签名密钥指纹：<b>{town_side}</b>" in town_page.stations.fingerprint.text()
    asked: list[str] = []
    answer_card(monkeypatch, [False, True], asked)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(templates["town_card"]), ""))
    village = _village_without_card(tmp_path)
    try:
        page = SyncPage(AppContext(village, _admin(village)))
        qtbot.addWidget(page)
        page.show()
        page.refresh()
        view = page.village
        view.bind_btn.click()  # 否: nothing bound
        assert (
            f"乡镇：{TOWN_NAME}" in asked[0]
            and f"乡镇代码：{TOWN_CODE}" in asked[0]
            and town_side in asked[0]
        )
        assert not enrollment.town_binding(village).bound and "指纹没有确认一致" in view.message.text()
        view.bind_btn.click()  # 是
        assert enrollment.town_binding(village).bound and town_side in view.binding.text()
    finally:
        village.close()


def answer_card(monkeypatch, answers: list[bool], asked: list[str]) -> None:
    """The clerk at the confirmation box: records its text and clicks 指纹一致 (True) or 不一致 (False)."""

    def clicked(box):
        asked.append(box.text())
        role = QMessageBox.ButtonRole.YesRole if answers.pop(0) else QMessageBox.ButtonRole.NoRole
        (button,) = [b for b in box.buttons() if box.buttonRole(b) == role]
        assert button.text().startswith(("指纹一致", "不一致"))
        button.click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", clicked)


def _admin(ws):
    with ws.work(None) as w:
        user = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(user)
    return user


@pytest.mark.parametrize(("typed", "bound"), [("n\n", False), ("y\n", True)])
def test_bind_in_a_terminal_shows_the_fingerprint_and_asks(town_ws, templates, tmp_path, typed, bound):
    import os
    import pty

    town_side = enrollment.own_fingerprint(town_ws)
    village = _village_without_card(tmp_path)
    v = str(village.root)
    village.close()
    master, slave = pty.openpty()  # bind asks only when a person is at a terminal
    try:
        os.write(master, typed.encode())
        env = {
            "PYTHONPATH": str(ROOT),
            "MINQING_USER": ADMIN[0],
            "MINQING_PASSWORD": ADMIN[1],
            "PATH": "/usr/bin:/bin",
        }
        r = subprocess.run(
            [sys.executable, "-m", "app", "bind", "--data-dir", v, str(templates["town_card"])],
            stdin=slave,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=120,
        )
    finally:
        os.close(slave)
        os.close(master)
    assert f"乡镇卡片：{TOWN_NAME}（{TOWN_CODE}）" in r.stdout and f"签名密钥指纹：{town_side}" in r.stdout
    assert r.returncode == (0 if bound else 1), r.stderr
    if not bound:
        assert "未绑定：指纹没有确认一致" in r.stderr
    ws = Workspace.open(v, create=False, credentials=ADMIN)
    try:
        assert enrollment.town_binding(ws).bound is bound
    finally:
        ws.close()
