import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args, env_extra=None):
    import os

    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True, text=True, env=env
    )


def test_version():
    r = run("--version")
    assert r.returncode == 0 and "minqing" in r.stdout


def test_init_town_then_village_with_card_and_stats(tmp_path):
    town, village = tmp_path / "town", tmp_path / "village"
    pw = {"ADMIN_PW": "pass-word-1"}
    r = run(
        "init",
        "town",
        "--data-dir",
        str(town),
        "--code",
        "370681101",
        "--name",
        "东城镇",
        "--admin-user",
        "admin",
        "--admin-password-env",
        "ADMIN_PW",
        env_extra=pw,
    )
    assert r.returncode == 0, r.stderr
    from app.sync.enrollment import export_card
    from app.workspace import Workspace

    ws = Workspace.open(town, create=False, credentials=("admin", pw["ADMIN_PW"]))
    card = export_card(ws, tmp_path / "town.json")
    ws.close()
    r = run(
        "init",
        "village",
        "--data-dir",
        str(village),
        "--code",
        "370681101201",
        "--name",
        "张家村",
        "--town-card",
        str(card),
        "--admin-user",
        "admin",
        "--admin-password-env",
        "ADMIN_PW",
        "--json",
        env_extra=pw,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["station"]["code"] == "370681101201"
    r = run("stats", "--data-dir", str(village), "--json", env_extra={"MINQING_PASSWORD": "pass-word-1"})
    data = json.loads(r.stdout)
    assert data["station"] == {"kind": "village", "code": "370681101201", "name": "张家村"}
    assert data["counts"] == {} or data["counts"]["370681101201"]["households"] == 0


def test_village_not_under_the_towns_code_is_refused(tmp_path, templates):
    r = run(
        "init",
        "village",
        "--data-dir",
        str(tmp_path / "v"),
        "--code",
        "370681102201",
        "--name",
        "外村",
        "--town-card",
        str(templates["town_card"]),
    )
    assert r.returncode == 1
    assert "前 9 位" in r.stderr


def test_second_init_is_refused_and_wrong_usage_exits_2(tmp_path, templates):
    r = run(
        "init",
        "village",
        "--data-dir",
        str(templates["village"]),
        "--code",
        "370681101201",
        "--name",
        "张家村",
    )
    assert r.returncode == 1 and "不能重复初始化" in r.stderr
    assert run("init", "village", "--code", "1").returncode == 2
    assert run("no-such-command").returncode == 2


def test_a_command_typed_wrong_is_said_in_chinese(tmp_path):
    """argparse's own messages are English ("the following arguments are required: --out"); the
    program's usage errors said them after a Chinese "用法错误："."""
    from app.cli import usage_error_in_chinese

    for args, words in (
        (("salvage", "--data-dir", str(tmp_path)), "缺少必填的参数：--out"),
        (("init", str(tmp_path)), "不是可选的值（可选：'village', 'town'）"),
        (("stats", "--data-dir", str(tmp_path), "--bogus"), "不认识的参数：--bogus"),
        (("backup", "--data-dir"), "参数 --data-dir：后面要跟一个值"),
        (("demo", "--households", "abc", "--data-dir", str(tmp_path)), "'abc' 不是有效的值（应为 整数）"),
    ):
        r = run(*args)
        assert r.returncode == 2 and words in r.stderr, r.stderr
        last = r.stderr.strip().splitlines()[-1]
        assert "用法错误：" in last and not any(w in last for w in ("argument", "expected", "invalid")), last
    assert not list(tmp_path.iterdir())  # nothing made
    assert usage_error_in_chinese("something new") == "something new"  # one it does not know: as it is
