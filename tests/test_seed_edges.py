"""The edges of 帮扶, 联户包案, 两评 and 为民实事 an outside review found against docs/aid.md, keycases.md,
reviews.md and projects.md: long texts on the papers, a cadre paired twice at once, a note without a
limit, a town naming another village's cadre, 包案 counted for a role that may not see them, a period
typed in full-width digits, a plan counted before it was entered."""

from __future__ import annotations

import datetime as dt

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from db.models import Household, User
from db.models.projects import Project

from app import accounts
from app.aid import documents as aid_documents
from app.aid import pairs, records
from app.aid.records import AidInput
from app.errors import UserError
from app.keycases import cases
from app.keycases import documents as keycase_documents
from app.ownership import period_problem
from app.projects import facts as project_facts
from app.projects import service as projects
from app.reviews import common as review_common
from app.reviews import documents as review_documents
from app.reviews import pack, tallies
from app.workspace import Workspace

from tests.conftest import ADMIN
from tests.diary_helpers import add_cadre, add_household
from tests.keycases_helpers import case_input

D = dt.date
TODAY = D(2024, 6, 30)


def _text(path) -> str:
    return "".join(p.extract_text() for p in PdfReader(path).pages).replace("\x00", "").replace("\n", "")


def test_a_long_aid_record_prints_its_whole_text_after_the_table(village_ws, village_admin, tmp_path):
    """500 characters of goods and a note made a row taller than a page: the print stopped with an
    English error. The row now shows the beginning and points to a 附注 where the whole text is."""
    cadre = add_cadre(village_ws)
    hid, _, _ = add_household(village_ws, "王五", tags=("低保",))
    goods = "大米食用油棉被衣物" * 55 + "米米米米米"  # 500 characters
    with village_ws.work(village_admin) as w:
        records.save_aid(
            w,
            AidInput(hid, D(2024, 5, 5), "物资", "", goods, "", cadre.id, "", None, "备注" * 150),
            today=TODAY,
        )
        pages = aid_documents.print_household_aid(
            w, hid, tmp_path / "aid.pdf", unit_name="张家村", today=TODAY
        )
    text = _text(tmp_path / "aid.pdf")
    assert pages >= 1 and "（全文见附注 1）" in text and "附注（表中写不下的全文）" in text
    assert goods[-40:] in text  # the end of the goods, printed whole in the 附注


def test_an_aid_note_has_a_limit_and_a_cadre_is_paired_with_a_household_once_at_a_time(
    village_ws, village_admin
):
    cadre = add_cadre(village_ws)
    hid, _, _ = add_household(village_ws, "王五", tags=("低保",))
    with village_ws.work(village_admin) as w:
        with pytest.raises(UserError, match="备注：最多 500 个字") as refused:
            records.save_aid(
                w,
                AidInput(hid, D(2024, 5, 5), "资金", "100", "", "", cadre.id, "", None, "注" * 501),
                today=TODAY,
            )
        assert refused.value.field == "note"
        first = pairs.start_pair(w, hid, cadre.id, D(2024, 1, 1), today=TODAY)
        pairs.end_pair(w, first, D(2024, 3, 15), "工作调整", today=TODAY)
        with pytest.raises(UserError, match="到 2024-03-15 才解除") as refused:
            pairs.start_pair(w, hid, cadre.id, D(2024, 2, 1), today=TODAY)
        assert refused.value.field == "start_on"
        pairs.start_pair(w, hid, cadre.id, D(2024, 3, 15), today=TODAY)  # from the day it ended: fine
        assert len(pairs.pair_history(w, hid)) == 2


def test_a_plan_longer_than_a_page_goes_on_over_the_next_one_boxed_with_its_label(
    village_ws, village_admin, tmp_path
):
    """A 化解方案 of 2 000 characters (the limit is 5 000) left a blank page and a label box running off
    the paper. Now its lines fill the page and go on, boxed, under 化解方案（续）."""
    hid, pid, _ = add_household(village_ws, tags=("上访户",))
    plan = "一、重新勘测界址，召开协调会，明确双方责任。" * 91
    with village_ws.work(village_admin) as w:
        case_id = cases.open_case(
            w, case_input(hid, person_id=pid, plan=plan), now=dt.datetime(2024, 3, 1, 9)
        )
        pages = keycase_documents.print_case(w, case_id, tmp_path / "kc.pdf", unit_name="张家村")
    reader = PdfReader(tmp_path / "kc.pdf")
    texts = [p.extract_text().replace("\x00", "") for p in reader.pages]
    assert pages == len(texts) == 2 and all(t.strip() for t in texts)  # no blank page
    assert "化解方案（续）" in texts[1].replace("\n", "")


def test_the_town_names_its_own_or_the_case_villages_cadres_only(two_villages):
    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    try:
        with town.work(None) as w:
            admin = accounts.authenticate(w, *ADMIN)
            w.session.expunge(admin)
        with town.work(admin) as w:
            household = w.session.scalars(
                select(Household).where(
                    Household.village_code == "370681101201", Household.deleted_at.is_(None)
                )
            ).first()
            users = {
                code: w.session.scalars(select(User.id).where(User.village_code == code)).first()
                for code in ("370681101201", "370681101202")
            }
            other = cases.PersonRef("", user_id=users["370681101202"])
            with pytest.raises(UserError, match="只能选本工作站或这一户所在村的账号"):
                cases.open_case(w, case_input(household.id, other), now=dt.datetime(2024, 3, 1, 9))
            own = cases.PersonRef("", user_id=users["370681101201"])
            assert cases.open_case(w, case_input(household.id, own), now=dt.datetime(2024, 3, 1, 9))
    finally:
        town.close(daily_backup=False)


def test_the_review_pack_counts_keycases_only_for_a_role_that_may_see_them(two_villages):
    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    try:
        with town.work(None) as w:
            admin = accounts.authenticate(w, *ADMIN)
            mediator = accounts.add_user(
                w, username="zhentj", display_name="镇调解员", password="pass-word-1", roles=("mediator",)
            )
            w.session.flush()
            w.session.expunge_all()
        titles = {}
        for who in (admin, mediator):
            with town.work(who) as w:
                built = pack.build(w, D(2024, 5, 1), today=D(2024, 6, 3))
                titles[who.username] = {g.title for s in built.sections for g in s.groups}
        assert "联户包案" in titles["admin"] and "联户包案" not in titles["zhentj"]
        assert "帮扶" in titles["zhentj"]  # the rest of the pack as before
    finally:
        town.close(daily_backup=False)


def test_a_period_typed_in_full_width_digits_is_the_same_period(village_ws, village_admin):
    assert review_common.parse_period("２０２４Ｈ１") == "2024H1"
    assert period_problem("２０２４H1") is not None  # a row from a bundle: refused, not another period
    assert period_problem("2024H1") is None


def test_a_ballot_keeps_the_village_whole_beside_a_long_title(village_ws, village_admin, tmp_path):
    with village_ws.work(None) as w:
        cadre = accounts.add_user(
            w, username="zhangwei", display_name="张伟", password="pass-word-1", roles=("cadre",)
        )
        cadre.title = "驻村工作队员（县农业农村局派驻、兼任乡村振兴工作队副队长）"
    with village_ws.work(village_admin) as w:
        works = tallies.cadre_work(w, tallies.resident_cadres(w), "2024H1")
    review_documents.print_ballots(works, "2024H1", tmp_path / "ballots.pdf", town_name="东城镇", copies=1)
    assert "驻在村：张家村" in _text(tmp_path / "ballots.pdf")


def test_a_project_entered_later_is_no_plan_of_an_earlier_month(village_ws, village_admin):
    def project(title: str, due: dt.date) -> str:
        data = projects.ProjectInput(
            title=title,
            year=2024,
            budget="1000",
            funding_source="一事一议",
            responsible="张建国",
            milestones=[projects.MilestoneInput("节点", due)],
        )
        with village_ws.work(village_admin) as w:
            return projects.save_project(w, data, today=D(2024, 12, 31)).id

    early, late = project("路灯安装", D(2024, 3, 15)), project("文化广场", D(2024, 10, 1))
    with village_ws.work(village_admin) as w:
        w.session.get(Project, early).created_at = dt.datetime(2024, 2, 20, 8)
        w.session.get(Project, late).created_at = dt.datetime(2024, 9, 1, 8)  # entered in September
    with village_ws.session() as s:
        march = project_facts.month_facts(s, village_ws.require_station().code, D(2024, 3, 1))
        september = project_facts.month_facts(s, village_ws.require_station().code, D(2024, 9, 1))
    assert march["projects_planned"] == 1 and september["projects_planned"] == 2
