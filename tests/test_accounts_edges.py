"""Accounts at their edges, as an outside review found them: the last administrator demoting itself, a
stopped account's reset password opening the database, a 原密码 guessed without limit or trace."""

import datetime as dt

import pytest
from sqlalchemy import select

from db.base import utcnow
from db.keyslots import KeySlots
from db.models import AuditLog

from app import accounts
from app.backups import backup_to
from app.errors import UserError
from app.workspace import Workspace

from tests.conftest import ADMIN, ADMIN_PASSWORD


def _add(ws, admin, username, roles):
    with ws.work(admin) as w:
        return accounts.add_user(
            w, username=username, display_name=username, password=f"{username}-pass-1", roles=roles
        )


def test_the_last_administrator_cannot_take_off_its_own_role(village_ws, village_admin):
    with (
        village_ws.work(village_admin) as w,
        pytest.raises(UserError, match="至少要保留一个启用的管理员") as err,
    ):
        accounts.update_user(w, village_admin.id, roles=["cadre"])
    assert err.value.field == "roles"
    with village_ws.session() as s:
        assert "admin" in s.get(type(village_admin), village_admin.id).role_set  # nothing changed
    other = _add(village_ws, village_admin, "admin2", ["admin"])
    with village_ws.work(village_admin) as w:
        accounts.set_active(w, other.id, False)  # a stopped administrator does not count
    with village_ws.work(village_admin) as w, pytest.raises(UserError, match="至少要保留"):
        accounts.update_user(w, village_admin.id, roles=["cadre"])
    with village_ws.work(village_admin) as w:
        accounts.set_active(w, other.id, True)
    with village_ws.work(village_admin) as w:
        accounts.update_user(w, village_admin.id, roles=["cadre", "mediator"])  # another one remains
    with village_ws.session() as s:
        assert s.get(type(village_admin), village_admin.id).role_set == {"cadre", "mediator"}


def test_a_stopped_accounts_reset_password_opens_nothing_until_it_is_started(village_ws, village_admin):
    cadre = _add(village_ws, village_admin, "cadre1", ["cadre"])
    with village_ws.work(village_admin) as w:
        accounts.set_active(w, cadre.id, False)
    with village_ws.work(village_admin) as w:
        accounts.reset_password(w, cadre.id, "cadre-pass-new")
    slots = KeySlots.load(village_ws.keys_dir)
    assert slots is not None and slots.account_slots(cadre.id) == []
    village_ws.close()
    with pytest.raises(UserError):
        Workspace.open(village_ws.root, create=False, credentials=("cadre1", "cadre-pass-new"))
    ws = Workspace.open(village_ws.root, create=False, credentials=ADMIN)
    with ws.work(village_admin) as w:
        accounts.set_active(w, cadre.id, True)
    ws.close()
    Workspace.open(village_ws.root, create=False, credentials=("cadre1", "cadre-pass-new")).close()


def test_a_wrong_old_password_is_audited_and_throttled_as_a_sign_in(village_ws, village_admin):
    for n in range(accounts.FREE_TRIES):
        with village_ws.work(village_admin) as w, pytest.raises(UserError, match="原密码不对") as err:
            accounts.change_own_password(w, f"guess-{n}", "new-admin-pass")
        assert err.value.field == "old_password"
    with village_ws.work(village_admin) as w, pytest.raises(UserError, match="秒"):
        accounts.change_own_password(w, ADMIN_PASSWORD, "new-admin-pass")  # even the right one waits
    with village_ws.session() as s:
        actions = list(s.scalars(select(AuditLog.action).where(AuditLog.record_id == village_admin.id)))
        details = " ".join(d or "" for d in s.scalars(select(AuditLog.detail)))
    assert actions.count("signin.failed") == accounts.FREE_TRIES and "signin.locked" in actions
    assert "guess-" not in details  # no typed text
    later = utcnow() + dt.timedelta(seconds=accounts.LOCK_SECONDS + 1)
    with village_ws.work(None) as w:  # the sign-in is locked by the same count
        with pytest.raises(UserError, match="秒"):
            accounts.authenticate(w, "admin", ADMIN_PASSWORD)
        assert accounts.authenticate(w, "admin", ADMIN_PASSWORD, now=later).username == "admin"


def test_a_stopped_or_changed_password_opens_nothing_through_a_backups_key_copy(village_ws, village_admin):
    """The key is the workspace's for life: a slot kept beside a backup would open the live database."""
    cadre = _add(village_ws, village_admin, "cadre1", ["cadre"])
    backup = backup_to(village_ws)
    beside = backup.with_name(backup.name + ".keys")
    assert KeySlots.read(beside).account_slots(cadre.id)  # the copy holds the cadre's slot
    with village_ws.work(village_admin) as w:
        accounts.set_active(w, cadre.id, False)
    assert KeySlots.read(beside).account_slots(cadre.id) == []
    old = KeySlots.read(beside)
    assert old.open_account("admin", ADMIN_PASSWORD) is not None
    with village_ws.work(village_admin) as w:
        accounts.change_own_password(w, ADMIN_PASSWORD, "admin-pass-2")
    assert KeySlots.read(beside).open_account("admin", ADMIN_PASSWORD) is None
    assert KeySlots.read(beside).open_account("admin", "admin-pass-2") is not None


def test_after_a_restore_the_accounts_and_the_keys_that_open_the_database_agree(village_ws, village_admin):
    cadre = _add(village_ws, village_admin, "cadre1", ["cadre"])
    backup = backup_to(village_ws)
    later = _add(village_ws, village_admin, "newbie", ["cadre"])  # made after the backup
    with village_ws.work(village_admin) as w:
        accounts.set_active(w, cadre.id, False)  # stopped after the backup
    village_ws.restore(backup)
    village_ws.close()
    for name in ("newbie",):
        with pytest.raises(UserError):
            Workspace.open(village_ws.root, create=False, credentials=(name, f"{name}-pass-1"))
    ws = Workspace.open(village_ws.root, create=False, credentials=("cadre1", "cadre1-pass-1"))
    with ws.work(None) as w:  # active in the restored list: it signs in, the CLI's way too
        assert accounts.authenticate(w, "cadre1", "cadre1-pass-1").id == cadre.id
    ws.close()
    slots = KeySlots.load(village_ws.keys_dir)
    assert slots.account_slots(later.id) == [] and slots.names.get(later.id) is None


def test_exports_backups_and_restores_say_who_and_what_in_the_audit_log(village_ws, village_admin, tmp_path):
    from app.diary.ledger import export_diary, export_ledger
    from app.households.excel_export import export_roster

    with village_ws.work(village_admin) as w:
        export_diary(w, tmp_path / "日记.xlsx", village_name="张家村")
        export_ledger(w, tmp_path / "台账.xlsx", village_name="张家村")
        export_roster(w, tmp_path / "户籍.xlsx", village_name="张家村")
    made = backup_to(village_ws, tmp_path / "stick.db", actor=village_admin)
    with village_ws.session() as s:
        rows = s.execute(
            select(AuditLog.username, AuditLog.action, AuditLog.detail).order_by(AuditLog.id)
        ).all()
    mine = [(a, d) for u, a, d in rows if u == "admin" and a in ("export", "backup")]
    assert mine == [
        ("export", "民情日记：0 条，日记.xlsx"),
        ("export", "民情台账：0 条，台账.xlsx"),
        ("export", "户籍台账（身份证号打码）：0 条，户籍.xlsx"),
        ("backup", str(made)),
    ]
    village_ws.restore(made, by="admin")
    with village_ws.session() as s:
        last = s.execute(
            select(AuditLog.username, AuditLog.action, AuditLog.detail).order_by(AuditLog.id.desc())
        ).first()
    assert last.username == "admin" and last.action == "restore" and "从 stick.db 恢复" in last.detail


def test_two_passwords_changed_at_once_both_open_the_database(village_ws, village_admin):
    """Two programs each re-wrapping the key for an account's new password: the key file is read,
    changed and written whole by one at a time (each kept the file as it had read it, and one account
    was left with no slot its new password opens)."""
    import concurrent.futures

    cadre = _add(village_ws, village_admin, "cadre1", ["cadre"])

    def wrap(user, password):
        with village_ws.work(user) as w:
            accounts.wrap_key_for(w, user, password)

    for n in range(8):
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            for job in [
                pool.submit(wrap, village_admin, f"admin-new-{n}"),
                pool.submit(wrap, cadre, f"cadre-new-{n}"),
            ]:
                job.result()
        slots = KeySlots.load(village_ws.keys_dir)
        assert slots.open_account("admin", f"admin-new-{n}") is not None, n
        assert slots.open_account("cadre1", f"cadre-new-{n}") is not None, n


def test_wrong_tries_of_a_command_count_at_the_open_windows_lock_screen_and_back(village_ws):
    """One count for every run: guesses made by commands lock the window's lock screen too (it had a
    count of its own, and took five more at once), and the lock screen's count the commands'."""
    other = Workspace.open(village_ws.root, create=False)  # a command run beside the open window
    for n in range(accounts.FREE_TRIES):
        with pytest.raises(UserError, match="登录名或密码不对"):
            other.unlock("admin", f"guess-{n}")
    with village_ws.work(None) as w, pytest.raises(UserError, match="秒"):
        accounts.authenticate(w, "admin", ADMIN_PASSWORD)  # the window's lock screen, right password
    other.close()
