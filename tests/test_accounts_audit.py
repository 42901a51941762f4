import pytest
from sqlalchemy import select

from db.models import AuditLog

from app import accounts
from app.errors import UserError


def test_failed_sign_in_stays_in_the_audit_log(village_ws):
    with pytest.raises(UserError), village_ws.session() as s:
        accounts.authenticate(s, "admin", "wrong-password")
    with village_ws.session() as s:
        actions = s.scalars(select(AuditLog.action)).all()
    assert "signin.failed" in actions
