"""The words of the law the program quotes, in one place (pure: no database).

Every article a printed document or a screen cites comes from here, so a citation is checked once
against the text of the law. The texts and their sources are written down in docs/mediation-law.md;
``tests/test_mediation_law.py`` fails when another module writes an article number of its own.

Only what was checked against the law's text is quoted. Where the program only refers to a rule
(民法典 on capacity), it names the articles and says what they mean, without quotation marks.
"""

from __future__ import annotations

from dataclasses import dataclass

MEDIATION_LAW = "《中华人民共和国人民调解法》"
CIVIL_CODE = "《中华人民共和国民法典》"
MOJ_RULES = "《人民调解工作若干规定》"


@dataclass(frozen=True)
class Provision:
    law: str  # 《…》
    article: str  # 第四条, 第二十三条第二项; "" when the article number is not quoted
    text: str  # the words of the law (or, for ``paraphrase``, what the articles say)
    paraphrase: bool = False  # True: a summary, never printed in quotation marks

    @property
    def citation(self) -> str:
        """《中华人民共和国人民调解法》第四条"""
        return f"{self.law}{self.article}"


# 人民调解法 (in force 2011-01-01)
FREE_OF_CHARGE = Provision(MEDIATION_LAW, "第四条", "人民调解委员会调解民间纠纷，不收取任何费用。")
REFUSAL_BEFORE_MEDIATION = Provision(
    MEDIATION_LAW,
    "第十七条",
    "当事人可以向人民调解委员会申请调解；人民调解委员会也可以主动调解。当事人一方明确拒绝调解的，不得调解。",
)
RIGHTS = Provision(
    MEDIATION_LAW,
    "第二十三条",
    "当事人在人民调解活动中享有下列权利：",
)
RIGHTS_ITEMS = (
    "（一）选择或者接受人民调解员；",
    "（二）接受调解、拒绝调解或者要求终止调解；",
    "（三）要求调解公开进行或者不公开进行；",
    "（四）自主表达意愿、自愿达成调解协议。",
)
ASK_TO_END = Provision(MEDIATION_LAW, "第二十三条第（二）项", "接受调解、拒绝调解或者要求终止调解")
DUTIES = Provision(MEDIATION_LAW, "第二十四条", "当事人在人民调解活动中履行下列义务：")
DUTIES_ITEMS = (
    "（一）如实陈述纠纷事实；",
    "（二）遵守调解现场秩序，尊重人民调解员；",
    "（三）尊重对方当事人行使权利。",
)
# Art. 26 and Art. 30: their full wording was not found in a source checked here; referred to, not quoted.
END_WHEN_FAILED = Provision(
    MEDIATION_LAW,
    "第二十六条",
    "调解不成的，应当终止调解，并告知当事人可以依法通过仲裁、行政、司法等途径维护自己的权利。",
    paraphrase=True,
)
AGREEMENT_EFFECT = Provision(
    MEDIATION_LAW,
    "第二十九条",
    "调解协议书自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效。"
    "调解协议书由当事人各执一份，人民调解委员会留存一份。",
)
ORAL_EFFECT = Provision(
    MEDIATION_LAW, "第三十条", "口头调解协议自各方当事人达成协议之日起生效。", paraphrase=True
)
JUDICIAL_CONFIRMATION = Provision(
    MEDIATION_LAW,
    "第三十三条",
    "经人民调解委员会调解达成调解协议后，双方当事人认为有必要的，可以自调解协议生效之日起三十日内"
    "共同向人民法院申请司法确认，人民法院应当及时对调解协议进行审查，依法确认调解协议的效力。",
)

# 司法部《人民调解工作若干规定》(2002): quoted without an article number (not checked here).
RECUSAL = Provision(MOJ_RULES, "", "当事人对调解主持人提出回避要求的，人民调解委员会应当予以调换。")

# 民法典 on capacity: referred to, not quoted.
CAPACITY = Provision(
    CIVIL_CODE,
    "第二十条至第二十三条",
    "未成年人、不能完全辨认自己行为的成年人，由其法定代理人代理实施民事法律行为；监护人是其法定代理人。",
    paraphrase=True,
)

# Preset reasons (the 终止 / 不予受理 dialogs): each names the provision it rests on.
REJECT_REASON = f"一方当事人明确拒绝调解，依照{REFUSAL_BEFORE_MEDIATION.citation}不得调解，不予受理。"
TERMINATE_REASON = f"调解过程中当事人要求终止调解（{ASK_TO_END.citation}）。"
FAILED_ROUTES_TEXT = "调解不成的，当事人可以依法通过仲裁、行政、司法等途径维护自己的权利。"

ALL: tuple[Provision, ...] = (
    FREE_OF_CHARGE,
    REFUSAL_BEFORE_MEDIATION,
    RIGHTS,
    ASK_TO_END,
    DUTIES,
    END_WHEN_FAILED,
    AGREEMENT_EFFECT,
    ORAL_EFFECT,
    JUDICIAL_CONFIRMATION,
    RECUSAL,
    CAPACITY,
)


def quoted(p: Provision) -> str:
    """“text”（《law》第N条）: a quotation with its source; a paraphrase is never put in quotes."""
    if p.paraphrase:
        return f"{p.text}（{p.citation}）"
    return f"“{p.text}”（{p.citation}）" if p.article else f"{p.law}：“{p.text}”"
