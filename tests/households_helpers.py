"""Builders shared by the households tests."""

from __future__ import annotations

import datetime as dt

from app import accounts
from app.codes import make_resident_id
from app.households import checks, roster

COUNTY = "370681"


def rid(birth: dt.date, seq: int, sex: str) -> str:
    return make_resident_id(COUNTY, birth, seq, sex)


def add_user(ws, username: str, roles, *, title: str | None = None, phone: str | None = None):
    with ws.work(None) as w:
        u = accounts.add_user(
            w,
            username=username,
            display_name=username.upper(),
            password="secret-1",
            roles=roles,
            title=title,
            phone=phone,
        )
        w.session.flush()
        w.session.expunge(u)
    return u


def household(
    ws,
    actor,
    head: str,
    *members,
    group: str = "一组",
    address: str = "",
    phones: str = "",
    head_id: str | None = None,
    household_no: str | None = None,
) -> roster.HouseholdView:
    inputs = [checks.MemberInput(head, "户主", id_number=head_id)]
    inputs += [m if isinstance(m, checks.MemberInput) else checks.MemberInput(m, "子") for m in members]
    with ws.work(actor) as w:
        return roster.create_household(
            w,
            checks.HouseholdInput(
                group_name=group,
                address=address or f"{group}1号",
                phones=phones,
                members=inputs,
                household_no=household_no,
            ),
        )
