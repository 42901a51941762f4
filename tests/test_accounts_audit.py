import pytest
from sqlalchemy import select

from db.models import AuditLog

from app import accounts
from app.errors import UserError


def test_failed_sign_in_stays_in_the_audit_log(village_ws):
    with pytest.raises(UserError), village_ws.work(None) as w:
        accounts.authenticate(w, "admin", "wrong-password")
    with village_ws.session() as s:
        actions = s.scalars(select(AuditLog.action)).all()
    assert "signin.failed" in actions


def _try(ws, username, password, now):
    with ws.work(None) as w:
        return accounts.authenticate(w, username, password, now=now)


def test_after_five_wrong_passwords_the_account_takes_one_try_every_thirty_seconds(village_ws):
    import datetime as dt

    from tests.conftest import ADMIN_PASSWORD

    t0 = dt.datetime(2026, 12, 4, 8, 0, 0)
    for n in range(accounts.FREE_TRIES):
        with pytest.raises(UserError, match="登录名或密码不对"):
            _try(village_ws, "admin", f"guess-{n}", t0 + dt.timedelta(seconds=n))
    last = t0 + dt.timedelta(seconds=accounts.FREE_TRIES - 1)
    # locked: even the right password is refused until the wait is over, without being checked
    with pytest.raises(UserError, match=r"请 \d+ 秒后再试"):
        _try(village_ws, "admin", ADMIN_PASSWORD, last + dt.timedelta(seconds=10))
    # one more wrong try after the wait: refused, and the lock goes on from it
    with pytest.raises(UserError, match="登录名或密码不对"):
        _try(village_ws, "admin", "guess-late", last + dt.timedelta(seconds=31))
    with pytest.raises(UserError, match="秒后再试"):
        _try(village_ws, "admin", ADMIN_PASSWORD, last + dt.timedelta(seconds=45))
    user = _try(village_ws, "admin", ADMIN_PASSWORD, last + dt.timedelta(seconds=62))
    assert user.username == "admin"
    # a success ends the lock: the next wrong password is an ordinary failure again
    with pytest.raises(UserError, match="登录名或密码不对"):
        _try(village_ws, "admin", "guess-again", last + dt.timedelta(seconds=63))
    with village_ws.session() as s:
        locks = s.scalars(select(AuditLog).where(AuditLog.action == "signin.locked")).all()
    assert len(locks) == 1 and "连续 5 次密码错误" in locks[0].detail


def test_no_typed_secret_reaches_the_audit_log_or_the_log_file(village_ws):
    import datetime as dt

    secret = "Mi-Ma-7731-只有我知道"
    t0 = dt.datetime(2026, 12, 4, 9, 0, 0)
    for n, (username, password) in enumerate([(secret, "x"), ("admin", secret), (f" {secret} ", secret)]):
        with pytest.raises(UserError):
            _try(village_ws, username, password, t0 + dt.timedelta(seconds=n))
    with village_ws.session() as s:
        rows = s.execute(select(AuditLog)).scalars().all()
    text = " ".join(str(getattr(r, c)) for r in rows for c in ("username", "detail", "fields", "table_name"))
    assert secret not in text and "Mi-Ma" not in text
    logs = list((village_ws.root / "logs").glob("*.log")) if (village_ws.root / "logs").exists() else []
    assert all(secret not in p.read_text(encoding="utf-8", errors="replace") for p in logs)


def test_a_lock_with_the_clock_set_back_past_it_says_to_put_the_clock_right(village_ws):
    """Five wrong passwords, then a power cut returns the clock to 2010 (a flat board battery): the wait
    counted from a wrong password in the clock's future was "请 504576001 秒后再试". Said as what it is,
    with what to do; the lock itself stands (the right password is still not tried)."""
    import datetime as dt

    from tests.conftest import ADMIN_PASSWORD

    t0 = dt.datetime(2026, 12, 4, 8, 0, 0)
    for n in range(accounts.FREE_TRIES):
        with pytest.raises(UserError, match="登录名或密码不对"):
            _try(village_ws, "admin", f"guess-{n}", t0 + dt.timedelta(seconds=n))
    with pytest.raises(UserError) as caught:
        _try(village_ws, "admin", ADMIN_PASSWORD, dt.datetime(2010, 1, 1, 8, 0))
    assert "时钟可能被调回" in caught.value.message and "日期和时间" in caught.value.message
    assert "秒后再试" not in caught.value.message
    # the clock put right: the lock is long over
    assert _try(village_ws, "admin", ADMIN_PASSWORD, t0 + dt.timedelta(minutes=5)).username == "admin"
