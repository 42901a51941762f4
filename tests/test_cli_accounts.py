"""Every command that reads or writes residents' data asks for an account, as the window does; roles
apply as in the window; the few that show nothing of the residents do not ask."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from db.models import AuditLog

from app import accounts
from app.workspace import Workspace

from tests.conftest import ADMIN, ADMIN_PASSWORD

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args, user: str | None = None, password: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MINQING_USER", "MINQING_PASSWORD")}
    if user is not None:
        env["MINQING_USER"] = user
    if password is not None:
        env["PW_FOR_TEST"] = password
        args = (*args, "--password-env", "PW_FOR_TEST")
    return subprocess.run(
        [sys.executable, "-m", "app", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_data_commands_refuse_without_an_account(village_ws, tmp_path):
    village_ws.close()
    root = village_ws.root
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    for args in (
        ("stats", "--data-dir", root),
        ("households", "export", "--data-dir", root, tmp_path / "a.xlsx"),
        ("cases", "export", "--data-dir", root, tmp_path / "b.xlsx"),
        ("diary", "export", "--data-dir", root, tmp_path / "c.xlsx"),
        ("bundle", "export", "--data-dir", root, "--out", tmp_path),
        ("backup", "--data-dir", root, "--out", tmp_path / "d.db"),
    ):
        r = _cli(*args)
        assert r.returncode == 1 and "需要登录" in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing was written


def test_a_wrong_password_is_refused_and_audited_without_the_secret(village_ws):
    village_ws.close()
    r = _cli("stats", "--data-dir", village_ws.root, user="admin", password="guess-123456")
    assert r.returncode == 1 and "登录名或密码不对" in r.stderr
    # the database is shut while a wrong password is refused: the failure is noted beside the key
    # slots (without the typed text) and enters the audit log at the next sign-in
    assert "guess-123456" not in (village_ws.keys_dir / "signin.json").read_text(encoding="utf-8")
    assert _cli("stats", "--data-dir", village_ws.root, user="admin", password=ADMIN_PASSWORD).returncode == 0
    again = Workspace.open(village_ws.root, create=False, credentials=ADMIN)
    try:
        with again.session() as s:
            rows = s.scalars(select(AuditLog).where(AuditLog.action == "signin.failed")).all()
            assert rows and all("guess-123456" not in (row.detail or "") for row in rows)
    finally:
        again.close()


def test_roles_apply_as_in_the_window(village_ws, village_admin, tmp_path):
    with village_ws.work(village_admin) as w:
        accounts.add_user(
            w, username="cadre1", display_name="村干部甲", password="cadre-pass-1", roles=["cadre"]
        )
    village_ws.close()
    as_cadre = {"user": "cadre1", "password": "cadre-pass-1"}
    r = _cli("cases", "export", "--data-dir", village_ws.root, tmp_path / "cases.xlsx", **as_cadre)
    assert r.returncode == 1 and "权限" in r.stderr and not (tmp_path / "cases.xlsx").exists()
    r = _cli(
        "households", "export", "--data-dir", village_ws.root, tmp_path / "h.xlsx", "--full-id", **as_cadre
    )
    assert r.returncode == 1 and "权限" in r.stderr
    r = _cli("bundle", "export", "--data-dir", village_ws.root, "--out", tmp_path, **as_cadre)
    assert r.returncode == 1 and "权限" in r.stderr
    r = _cli("households", "export", "--data-dir", village_ws.root, tmp_path / "h.xlsx", **as_cadre)
    assert r.returncode == 0, r.stderr  # the masked roster is a cadre's to take


def test_commands_that_show_no_resident_do_not_ask(village_ws, tmp_path):
    village_ws.close()
    assert _cli("--version").returncode == 0
    r = _cli("card", "export", "--data-dir", village_ws.root, "--out", tmp_path / "card.json")
    assert r.returncode == 0, r.stderr
    r = _cli("init", "village", "--data-dir", tmp_path / "new", "--code", "370681101209", "--name", "新村")
    assert r.returncode == 0, r.stderr


def test_a_password_typed_as_the_variables_name_is_not_kept_in_the_log(village_ws):
    """``--password-env Typo-Secret-Pw-77``: the refusal does not repeat the name, which went to the log."""
    village_ws.close()
    r = _cli("stats", "--data-dir", village_ws.root, "--user", "admin", "--password-env", "Typo-Secret-Pw-77")
    assert r.returncode == 1 and "不是密码本身" in r.stderr
    kept = "".join(p.read_text(encoding="utf-8") for p in village_ws.logs_dir.glob("*.log"))
    assert "Typo-Secret-Pw-77" not in kept + r.stderr


def test_commands_started_together_each_sign_in(village_ws):
    """Four commands at once (no window): each signs in and runs (one was refused at once with “数据库正被
    另一个程序使用”, each sign-in reading, then writing its audit row)."""
    import concurrent.futures

    village_ws.close()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        runs = list(
            pool.map(
                lambda _n: _cli(
                    "stats", "--data-dir", village_ws.root, user="admin", password=ADMIN_PASSWORD
                ),
                range(4),
            )
        )
    assert [r.returncode for r in runs] == [0] * 4, [r.stderr for r in runs]
