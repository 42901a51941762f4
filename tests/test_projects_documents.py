"""公示 sheets: the planning one and the completion one say different things, in big type, name no
resident, and the completion one waits for a completed project (text checked with pypdf)."""

from __future__ import annotations

import datetime as dt

import pytest
from pypdf import PdfReader

from app.errors import UserError
from app.projects import documents, service

from tests.projects_helpers import road_input, run_to_acceptance
from tests.sync_support import add_demand, add_household

D = dt.date
TODAY = D(2024, 6, 30)


def _text(path) -> str:
    return "".join(page.extract_text() for page in PdfReader(path).pages).replace("\x00", "")  # CID padding


@pytest.fixture
def project(village_ws, village_admin):
    h1, h2 = add_household(village_ws, "钟伟堃"), add_household(village_ws, "李秀英")
    ids = [add_demand(village_ws, h1, "门前道路硬化"), add_demand(village_ws, h2, "门前道路硬化")]
    with village_ws.work(village_admin) as w:
        return service.save_project(w, road_input(ids), today=TODAY).id


def test_the_planning_notice(village_ws, village_admin, project, tmp_path):
    with village_ws.work(village_admin) as w:
        path = documents.write_notice(w, project, tmp_path / "计划公示.pdf", today=TODAY)
        with pytest.raises(UserError, match="完成后才能打印完成公示"):
            documents.write_notice(w, project, tmp_path / "x.pdf", kind=documents.DONE, today=TODAY)
    text = _text(path)
    for words in (
        "为民实事计划公示",
        "三组道路硬化",
        "张家村",
        "预算金额：120,000元",
        "资金来源：一事一议",
        "责任人：张建国",
        "门前道路硬化（2户）",
        "方案公示",
        "3月10日",
        "公示期：2024年6月30日至2024年7月7日",
        "村委会0535-1234567",
        "张家村村民委员会（盖章）",
    ):
        assert words in text.replace(" ", "").replace("\n", ""), words
    assert "钟伟堃" not in text and "李秀英" not in text  # a notice board names no resident
    assert len(PdfReader(path).pages) == 1


def test_the_completion_notice_after_acceptance(village_ws, village_admin, project, tmp_path):
    photo = tmp_path / "完工.png"
    from app.projects.demo import photo_png

    photo.write_bytes(photo_png())
    with village_ws.work(village_admin) as w:
        service.add_photo(w, project, photo)
        run_to_acceptance(w, project, today=TODAY)
        path = documents.write_notice(w, project, tmp_path / "完成公示.pdf", today=TODAY)
    text = _text(path).replace(" ", "").replace("\n", "")
    for words in (
        "为民实事完成情况公示",
        "完成情况：硬化道路1.2公里",
        "预算120,000元，实际支出118,500元",
        "2024年3月15日开工，2024年5月25日完成",
        "满意23人，基本满意4人，不满意1人（当面收集",
        "路边排水沟还没修",
        "群众对工程质量和资金使用有意见的",
    ):
        assert words in text, words
    assert "计划公示" not in text
    reader = PdfReader(path)
    assert len(reader.pages) == 1 and len(reader.pages[0].images) == 1  # the photo beside the milestones


def test_the_notice_uses_big_type(village_ws, village_admin, project, tmp_path):
    """The body is 15 pt (the diary print's is 10.5): read from a step away on a notice board."""
    with village_ws.work(village_admin) as w:
        path = documents.write_notice(w, project, tmp_path / "n.pdf", today=TODAY)
    sizes = set()

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            sizes.add(round(font_size * tm[0], 1))

    PdfReader(path).pages[0].extract_text(visitor_text=visit)
    assert min(sizes) >= 14 and max(sizes) >= 26
