"""The coded columns' vocabularies (the diary's, the roles of a household's cadres, a person's 民族):
the values the columns hold, one tuple per type, in the order the screens offer them.

The diary stores the Chinese value itself, as mediation and households do (``app/mediation/rules.py``,
``app/households/checks.py``): what is in the database is what a user reads. The services
(``app/diary``), the queries (``db/queries/diary.py``), the reports and the screens all take these
tuples and names from here.

Before migration ``0011_diary_vocab`` the diary stored English codes. :data:`LEGACY_CODES` is the map
from those codes to the values, per table and column; it is history, fixed for good: the migration
rewrites a database with it, and the bundle importer translates with :func:`translate_rows` the rows of
a bundle made by a station still on an older schema revision. Never change it, even if a value below
is renamed later (that would need a migration of its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# -- diary_entry.kind: 方式 ---------------------------------------------------------------------------
HOME_VISIT = "入户走访"  # closes must-visit events, counts for the visit rhythm
# 信息员报告 (migration 0020_informants, docs/informants.md): a 群众工作信息员's report, taken by phone or
# in person and written down by a cadre; it names the informant (diary_entry.informant_id) and, like
# 其他, needs no household. No program before 0018 wrote it, so it has no legacy code below.
INFORMANT_REPORT = "信息员报告"
ENTRY_KINDS = (HOME_VISIT, "电话联系", "来访接待", "集中接访", INFORMANT_REPORT, "其他")
OTHER_KIND = "其他"  # an entry of this kind needs no household

# -- demand.status: 办理状态 --------------------------------------------------------------------------
# 待办 → 已答复 → 已办结, or, through the town (交办, docs/referral.md):
# 待办 → 已上报乡镇 → 乡镇已答复 → 已答复 → 已办结.
OPEN, REPLIED, CLOSED = "待办", "已答复", "已办结"
REFERRED, TOWN_REPLIED = "已上报乡镇", "乡镇已答复"
DEMAND_STATUSES = (OPEN, REFERRED, TOWN_REPLIED, REPLIED, CLOSED)

# -- demand.referred_office: the town's offices a village refers a demand to (docs/referral.md) ------
# A fixed list, the same at every station: the town's 待办 groups by it and the importer refuses any
# other value. 其他 needs the note to say which office.
TOWN_OFFICES = (
    "党政办",
    "民政办",
    "农业农村办",
    "司法所",
    "财政所",
    "自然资源所",
    "村镇建设办",
    "综治中心",
    "卫生健康办",
    "人社所",
    "退役军人服务站",
    "应急管理办",
    "信访办",
    "其他",
)
OTHER_OFFICE = "其他"

# -- demand.town_reply_kind: what the town did with a referred demand --------------------------------
TOWN_ANSWERED, TOWN_FORWARDED = "乡镇答复", "转报县级部门"
TOWN_REPLY_KINDS = (TOWN_ANSWERED, TOWN_FORWARDED)

# -- demand.feedback_*: 群众点评 of a closed demand ("办民生实事必须由群众进行点评") -----------------------
# The resident's verdict of how the matter was handled, and how it was given. Counted per village and
# town, never per cadre (docs/referral.md).
FEEDBACK_VERDICTS = ("满意", "基本满意", "不满意")
DISSATISFIED = "不满意"
FEEDBACK_METHODS = ("当面", "电话", "签字")

# -- acknowledgement.method: 群众签字认可 ---------------------------------------------------------------
SIGNATURE, PAPER_PHOTO, REFUSED = "当场签字", "纸质签字", "拒签"
ACK_METHODS = (SIGNATURE, PAPER_PHOTO, REFUSED)
SIGNED_METHODS = (SIGNATURE, PAPER_PHOTO)  # the resident signed: the entry's text is final

# -- must_visit_event.kind: 必访事件 ------------------------------------------------------------------
MUST_VISIT_KINDS = ("住院", "老人去世", "家庭纠纷", "意外灾害", "子女辍学或待业", "其他")
OTHER_EVENT = "其他"  # needs a note saying what happened

# -- cadre_assignment.role: who looks after a household ------------------------------------------------
CONTACT_CADRE, AREA_CADRE = "联系干部", "包片干部"
CADRE_ROLES = (CONTACT_CADRE, AREA_CADRE)

# -- person.ethnicity: 民族 (GB/T 3304, the 56 names) -------------------------------------------------
# A person's 民族 is stored as written, in either of the two forms the program and the rosters use:
# the full name (汉族, 蒙古族) or the name without 族 (汉, 蒙古: the household form's default and the
# demo's). These are one value written two ways, not synonyms; nothing else is accepted on import.
ETHNICITIES = (
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族", "满族",
    "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族", "佤族", "畲族",
    "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族", "达斡尔族",
    "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族",
    "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族", "京族",
    "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
)  # fmt: skip
ETHNICITY_VALUES = frozenset(ETHNICITIES) | frozenset(name.removesuffix("族") for name in ETHNICITIES)

# -- aid_record.kind: 帮扶类别 (docs/aid.md) ---------------------------------------------------------
# What a household in difficulty was given or helped with. 资金 needs an amount, 物资 the goods; the
# others say what was done (the policy used, the job found …) and may carry an amount too.
AID_MONEY, AID_GOODS, AID_OTHER = "资金", "物资", "其他"
AID_KINDS = (AID_GOODS, AID_MONEY, "政策落实", "就业", "医疗", "教育", "住房", AID_OTHER)

# -- before migration 0011_diary_vocab ------------------------------------------------------------------
VOCAB_REVISION = "0011_diary_vocab"  # the first schema revision whose rows carry the values above

LEGACY_CODES: dict[str, dict[str, dict[str, str]]] = {
    "diary_entry": {
        "kind": {
            "home_visit": "入户走访",
            "phone": "电话联系",
            "walk_in": "来访接待",
            "reception": "集中接访",
            "other": "其他",
        }
    },
    "demand": {"status": {"open": "待办", "replied": "已答复", "closed": "已办结"}},
    "acknowledgement": {"method": {"signature": "当场签字", "paper_photo": "纸质签字", "refused": "拒签"}},
    "cadre_assignment": {"role": {"contact": "联系干部", "area": "包片干部"}},
    "must_visit_event": {
        "kind": {
            "hospitalised": "住院",
            "elder_died": "老人去世",
            "family_dispute": "家庭纠纷",
            "disaster": "意外灾害",
            "child_out_of_school": "子女辍学或待业",
            "other": "其他",
        }
    },
}


def translate_rows(
    table_name: str, columns: Sequence[str], rows: list[list[Any]], *, to_legacy: bool = False
) -> int:
    """In place: the coded columns of ``rows`` (lists in the order of ``columns``) of ``table_name``
    from the English codes to the values (``to_legacy``: back). A value the map does not know is left
    as it is. Returns how many cells changed."""
    changed = 0
    for column, codes in LEGACY_CODES.get(table_name, {}).items():
        if column not in columns:
            continue
        mapping = {v: k for k, v in codes.items()} if to_legacy else codes
        i = list(columns).index(column)
        for row in rows:
            value = row[i]
            if isinstance(value, str) and value in mapping:
                row[i] = mapping[value]
                changed += 1
    return changed


__all__ = [
    "ACK_METHODS",
    "AID_GOODS",
    "AID_KINDS",
    "AID_MONEY",
    "AID_OTHER",
    "AREA_CADRE",
    "CADRE_ROLES",
    "CONTACT_CADRE",
    "CLOSED",
    "DEMAND_STATUSES",
    "DISSATISFIED",
    "ENTRY_KINDS",
    "ETHNICITIES",
    "ETHNICITY_VALUES",
    "FEEDBACK_METHODS",
    "FEEDBACK_VERDICTS",
    "HOME_VISIT",
    "INFORMANT_REPORT",
    "LEGACY_CODES",
    "MUST_VISIT_KINDS",
    "OPEN",
    "OTHER_EVENT",
    "OTHER_KIND",
    "OTHER_OFFICE",
    "PAPER_PHOTO",
    "REFERRED",
    "REFUSED",
    "REPLIED",
    "SIGNATURE",
    "SIGNED_METHODS",
    "TOWN_ANSWERED",
    "TOWN_FORWARDED",
    "TOWN_OFFICES",
    "TOWN_REPLIED",
    "TOWN_REPLY_KINDS",
    "VOCAB_REVISION",
    "translate_rows",
]
