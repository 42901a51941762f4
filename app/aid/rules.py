"""帮扶's rules, pure (no session): the field labels, the money, what a record must say, and the same
rules asked of a row that arrives in a bundle (``app.ownership.column_verdict`` calls
:func:`incoming_verdict`). The domain is in docs/aid.md.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from db import vocab

from app.errors import UserError

KINDS = vocab.AID_KINDS
# One act of aid to one household: a million 元 is far beyond any (a 危房改造 subsidy is a few 万).
MAX_YUAN = Decimal(1_000_000)
MAX_FEN = int(MAX_YUAN * 100)
MAX_TEXT = 100  # policy, unit, end reason
MAX_GOODS = 500
MAX_NOTE = 500

FIELD_LABELS = {
    "given_on": "帮扶日期",
    "kind": "帮扶类别",
    "amount": "金额",
    "amount_fen": "金额",
    "goods": "物资或帮扶内容",
    "policy": "依据的政策",
    "giver": "帮扶人",
    "giver_unit": "帮扶单位",
    "entry_id": "关联的民情日记",
    "note": "备注",
    "household_id": "帮扶户",
    "cadre_id": "帮扶责任人",
    "start_on": "结对日期",
    "end_on": "解除日期",
    "end_reason": "解除原因",
}


def parse_amount(value: object) -> int | None:
    """元 as typed (1200, "350.50", "1,200", "１２００") → 分; "" → None. Refuses in Chinese, naming 金额."""
    if value is None:
        return None
    text = str(value).strip().replace(",", "").replace("，", "").replace("元", "").strip()
    text = text.translate({0xFF10 + i: 0x30 + i for i in range(10)} | {0xFF0E: 0x2E})
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise UserError(
            f"金额：“{value}”不是数字，请填写以元为单位的数字，如 1200 或 350.50", field="amount"
        ) from None
    if not amount.is_finite():
        raise UserError(f"金额：“{value}”不是数字，请填写以元为单位的数字", field="amount")
    if amount <= 0:
        raise UserError("金额：要大于 0；没有钱款的帮扶请不填金额", field="amount")
    if amount > MAX_YUAN:
        raise UserError(
            f"金额：{value} 元太大了，请核对（以元为单位，一次帮扶最多 100 万元）", field="amount"
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise UserError("金额：最多到分（小数点后两位）", field="amount")
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def yuan_text(fen: int | None) -> str:
    """分 → "1,200" / "350.50" (no trailing .00); "" for none."""
    if not fen:
        return ""
    yuan, cents = divmod(fen, 100)
    return f"{yuan:,}" if not cents else f"{yuan:,}.{cents:02d}"


def check_record(
    *,
    given_on: dt.date | None,
    kind: str,
    amount_fen: int | None,
    goods: str,
    policy: str,
    giver_user_id: str | None,
    giver_unit: str,
    today: dt.date,
    note: str = "",
) -> None:
    """What a 帮扶记录 must say (the service's check; :func:`record_problem` asks the same of a row)."""
    problem = _record_problem(given_on, kind, amount_fen, goods, policy, giver_user_id, giver_unit, note)
    if problem:
        raise UserError(problem[1], field=problem[0])
    assert given_on is not None  # (the check above refuses None)
    if given_on > today:
        raise UserError(f"帮扶日期：{given_on:%Y-%m-%d} 在今天之后，请填写已经帮扶的日期", field="given_on")


def _record_problem(
    given_on: dt.date | None,
    kind: object,
    amount_fen: object,
    goods: object,
    policy: object,
    giver_user_id: object,
    giver_unit: object,
    note: object = "",
) -> tuple[str, str] | None:
    if given_on is None:
        return "given_on", "帮扶日期：请填写"
    if kind not in KINDS:
        return "kind", f"帮扶类别：请从{'、'.join(KINDS)}中选一个"
    if amount_fen is not None and (type(amount_fen) is not int or not 0 < amount_fen <= MAX_FEN):
        return "amount", "金额：要大于 0，最多 100 万元"
    if not isinstance(goods, str) or len(goods) > MAX_GOODS:
        return "goods", f"物资或帮扶内容：最多 {MAX_GOODS} 个字"
    if not isinstance(policy, str) or len(policy) > MAX_TEXT:
        return "policy", f"依据的政策：最多 {MAX_TEXT} 个字"
    if not isinstance(giver_unit, str) or len(giver_unit) > MAX_TEXT:
        return "giver", f"帮扶单位：最多 {MAX_TEXT} 个字"
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        return "note", f"备注：最多 {MAX_NOTE} 个字"
    if kind == vocab.AID_MONEY and amount_fen is None:
        return "amount", "金额：资金帮扶请填写金额（元）"
    if kind == vocab.AID_GOODS and not goods.strip():
        return "goods", "物资或帮扶内容：物资帮扶请写明给了什么，如“大米 2 袋、食用油 1 桶”"
    if amount_fen is None and not goods.strip() and not policy.strip():
        return "goods", "物资或帮扶内容：请写明帮扶了什么（或填写金额、依据的政策）"
    if bool(giver_user_id) == bool(giver_unit.strip()):
        return "giver", "帮扶人：请选择一名干部，或填写帮扶单位（二者选一）"
    return None


def check_pair_dates(start_on: dt.date | None, end_on: dt.date | None, today: dt.date) -> None:
    if start_on is None:
        raise UserError("结对日期：请填写", field="start_on")
    if start_on > today:
        raise UserError(f"结对日期：{start_on:%Y-%m-%d} 在今天之后", field="start_on")
    if end_on is not None and end_on < start_on:
        raise UserError(f"解除日期：{end_on:%Y-%m-%d} 早于结对日期 {start_on:%Y-%m-%d}", field="end_on")


# -- a row from a bundle -------------------------------------------------------------------------------
def _date(value: object) -> dt.date | None:
    """A date as SQLite stores it (text ``YYYY-MM-DD``); None for anything else."""
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def incoming_verdict(
    table_name: str, columns: list[str], incoming: list[Any], local: dict[str, Any] | None
) -> str | None:
    """A village's row of ``aid_record`` / ``aid_pair`` as it would be written (the importer's check,
    after the generic ones: own village, own station, references): the same rules the services keep,
    or the reason in Chinese."""
    row = {**(local or {}), **dict(zip(columns, incoming, strict=True))}
    if row.get("deleted_at") is not None and local is not None:
        return None  # a deletion: what the row said is no longer in question
    if table_name == "aid_pair":
        start, end = _date(row.get("start_on")), row.get("end_on")
        if start is None:
            return "帮扶对子的结对日期格式不对"
        end_date = _date(end)
        if end is not None and (end_date is None or end_date < start):
            return "帮扶对子的解除日期格式不对或早于结对日期"
        reason = row.get("end_reason", "")
        if not isinstance(reason, str) or len(reason) > MAX_TEXT:
            return "帮扶对子的解除原因格式不对"
        return None
    problem = _record_problem(
        _date(row.get("given_on")),
        row.get("kind"),
        row.get("amount_fen"),
        row.get("goods", ""),
        row.get("policy", ""),
        row.get("giver_user_id"),
        row.get("giver_unit", ""),
        row.get("note", ""),
    )
    if problem is not None:
        return f"帮扶记录不合规定：{problem[1]}"
    return None
