"""The fixed lists of mediation work and the case's state machine (pure: no database).

States (案件状态) and what may follow each one::

    受理 → 调解中 | 不予受理 | 上报          (a party who refuses before mediation begins: 不予受理, Art. 17)
    调解中 → 调解成功 | 调解不成 | 终止 | 上报  (终止: a mediation under way is ended, Art. 23(二) / Art. 26)
    调解成功 → 履行中 | 履行完毕        (an oral agreement is often performed on the spot)
    履行中 → 履行完毕 | 上报            (not performed: the committee escalates)
    履行完毕 → 已回访
    已回访 | 调解不成 | 终止 | 不予受理 → 已归档
    调解不成 → 上报
    上报 → 调解中 (the town sent it back) | 已归档 (the town recorded its outcome)
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

SOURCES = ("当事人申请", "主动调解", "公安移交", "法院委托", "政府指定", "信访移交", "排查发现", "民情日记")

# The official statistics know three sources (人民调解工作统计): the committee's own initiative, a party's
# application, and a case entrusted or handed over by another body (公安, 法院, 政府, 信访: 访调对接).
# Every source of the program maps to one of them here, and only here (docs/mediation-statistics.md).
OFFICIAL_SOURCES = ("主动调解", "申请调解", "接受委托移送")
OFFICIAL_SOURCE_OF = {
    "当事人申请": "申请调解",
    "主动调解": "主动调解",
    "排查发现": "主动调解",
    "民情日记": "主动调解",
    "公安移交": "接受委托移送",
    "法院委托": "接受委托移送",
    "政府指定": "接受委托移送",
    "信访移交": "接受委托移送",
}

NATIONAL_TYPES = (
    "婚姻家庭",
    "邻里",
    "房屋宅基地",
    "合同",
    "生产经营",
    "损害赔偿",
    "山林土地",
    "征地拆迁",
    "环境污染",
    "劳动争议",
    "消费",
    "医疗",
    "道路交通事故",
    "物业",
    "其他",
)
DEFAULT_LOCAL_TYPES = ("村务管理",)

# 排查: the period's regular round, or a special one (before a festival, after a flood …)
ROUND_KINDS = ("定期", "不定期")
# What became of a dispute a screening round found.
SETTLED_ON_SPOT, REGISTERED, REFERRED, PREVENTED = "当场化解", "登记为案件", "移交处理", "预防"
DISPOSITIONS = (SETTLED_ON_SPOT, REGISTERED, REFERRED, PREVENTED)

COMPLEXITIES = ("简单", "一般", "重大疑难")
PARTY_ROLES = ("申请人", "被申请人", "第三人")
PARTY_KINDS = ("个人", "单位")
FAILURE_ROUTES = ("诉讼", "仲裁", "行政")
ESCALATION_TARGETS = ("乡镇", "县")
AGREEMENT_KINDS = ("书面", "口头")  # 人民调解协议书 / 口头协议 (人民调解法 Art. 28)
TOWN_OUTCOMES = ("调解成功", "调解不成", "退回村调委会", "转县处理")
SENT_BACK = "退回村调委会"  # the case is the village's to mediate again (在调 in the village's row)
RETENTIONS = ("永久", "长期", "短期")
SIGN_METHODS = ("签名板", "纸质签字", "按指印", "盖章")
SIGNER_ROLES = ("当事人", "调解员", "记录人", "委员会")
SATISFACTION = ("满意", "基本满意", "不满意")
SESSION_RESULTS = ("达成协议", "未达成协议", "继续调解")

ACCEPTED = "受理"
IN_MEDIATION = "调解中"
SUCCEEDED = "调解成功"
FAILED = "调解不成"
TERMINATED = "终止"
REJECTED = "不予受理"
PERFORMING = "履行中"
PERFORMED = "履行完毕"
VISITED = "已回访"
ARCHIVED = "已归档"
ESCALATED = "上报"

STATES = (
    ACCEPTED,
    IN_MEDIATION,
    SUCCEEDED,
    FAILED,
    TERMINATED,
    REJECTED,
    PERFORMING,
    PERFORMED,
    VISITED,
    ARCHIVED,
    ESCALATED,
)
OPEN_STATES = (ACCEPTED, IN_MEDIATION)  # 在调
CONCLUDED = (SUCCEEDED, FAILED, TERMINATED)  # 结案 (上报 and 不予受理 are not: docs/mediation-statistics.md)

# The outcome a state fixes for the statistics (kept when the case moves on to 履行/回访/归档).
OUTCOME_OF = {SUCCEEDED: "成功", FAILED: "不成", TERMINATED: "终止", REJECTED: "不予受理", ESCALATED: "上报"}


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    action: str  # button text


TRANSITIONS: tuple[Transition, ...] = (
    Transition(ACCEPTED, IN_MEDIATION, "开始调解"),
    Transition(ACCEPTED, REJECTED, "不予受理"),
    Transition(ACCEPTED, ESCALATED, "上报"),
    Transition(IN_MEDIATION, SUCCEEDED, "调解成功"),
    Transition(IN_MEDIATION, FAILED, "调解不成"),
    Transition(IN_MEDIATION, TERMINATED, "终止调解"),
    Transition(IN_MEDIATION, ESCALATED, "上报"),
    Transition(SUCCEEDED, PERFORMING, "开始履行"),
    Transition(SUCCEEDED, PERFORMED, "履行完毕"),
    Transition(PERFORMING, PERFORMED, "履行完毕"),
    Transition(PERFORMING, ESCALATED, "上报"),
    Transition(PERFORMED, VISITED, "回访完成"),
    Transition(FAILED, ESCALATED, "上报"),
    Transition(VISITED, ARCHIVED, "归档"),
    Transition(FAILED, ARCHIVED, "归档"),
    Transition(TERMINATED, ARCHIVED, "归档"),
    Transition(REJECTED, ARCHIVED, "归档"),
    Transition(ESCALATED, IN_MEDIATION, "退回继续调解"),
    Transition(ESCALATED, ARCHIVED, "归档"),
)

_LEGAL = {(t.source, t.target): t for t in TRANSITIONS}


def is_legal(source: str, target: str) -> bool:
    return (source, target) in _LEGAL


def next_states(source: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == source]


def refusal(source: str, target: str) -> str:
    """Why ``source → target`` is not allowed, in words a mediator understands."""
    if target not in STATES:
        return f"没有“{target}”这个案件状态"
    if source == target:
        return f"案件已经是“{source}”状态"
    allowed = "、".join(f"“{t.target}”" for t in next_states(source))
    if not allowed:
        return f"案件处于“{source}”状态，已经办结，不能再改为“{target}”"
    return f"案件处于“{source}”状态，不能直接改为“{target}”；现在只能改为{allowed}"


# -- case file (卷内目录) ---------------------------------------------------------------------------
@dataclass(frozen=True)
class FileItemSpec:
    key: str
    title: str
    required: bool  # 必须 per the standard case file


CASE_FILE_ITEMS: tuple[FileItemSpec, ...] = (
    FileItemSpec("application", "人民调解申请书或受理登记表", True),
    FileItemSpec("rights_notice", "当事人权利义务告知书", True),
    FileItemSpec("identity", "当事人身份证明", True),
    FileItemSpec("power_of_attorney", "授权委托书", False),
    FileItemSpec("investigation", "调查记录", False),
    FileItemSpec("evidence", "证据材料", False),
    FileItemSpec("session_record", "调解记录", True),
    FileItemSpec("agreement", "人民调解协议书或口头协议登记表", True),
    FileItemSpec("performance_proof", "履行凭证", False),
    FileItemSpec("follow_up", "回访记录", False),
    FileItemSpec("judicial", "司法确认材料", False),
    FileItemSpec("explanation", "卷宗情况说明", False),
    FileItemSpec("back_cover", "封底", True),
)
FILE_ITEM_KEYS = tuple(i.key for i in CASE_FILE_ITEMS)


def required_items(outcome: str | None) -> set[str]:
    """Items that must be in the file before archiving; a case that ended without an agreement has none
    to file, and a case never accepted had no notice or session."""
    keys = {i.key for i in CASE_FILE_ITEMS if i.required}
    if outcome != "成功":
        keys.discard("agreement")
    if outcome == "不予受理":
        keys -= {"rights_notice", "session_record"}
    return keys


# -- dates ------------------------------------------------------------------------------------------
def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the month's end (1月31日 + 1 月 = 2月28日/29日)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


JUDICIAL_DAYS = 30  # Art. 33: apply within 30 days of the agreement taking effect
JUDICIAL_WARN_FROM_DAY = 20


def judicial_deadline(effective_on: dt.date) -> dt.date:
    """Last day to apply for 司法确认: the effective day is not counted (day 1 is the day after)."""
    return effective_on + dt.timedelta(days=JUDICIAL_DAYS)


def case_number(year: int, prefix: str, seq: int) -> str:
    return f"（{year}）{prefix}人调字第 {seq} 号"
