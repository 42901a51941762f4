"""Resident ID numbers (GB 11643-1999), phone numbers and statistical division codes."""

from __future__ import annotations

import datetime as dt
import operator
import re
import unicodedata
from typing import NamedTuple

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ZEROS = ord("0") * sum(_WEIGHTS)


# Characters that show nothing, or turn the text around them: control characters (a NUL, which
# clean_text takes out on its own, aside), zero-width spaces and joiners, the soft hyphen,
# bidirectional marks, embeddings, overrides and isolates, the byte-order mark, tags (Unicode's format
# characters, Cf). A name pasted from a chat carries a zero-width space and is then another name than the
# same one typed; one with a right-to-left override is shown and printed backwards.
INVISIBLE = re.compile(
    "[\x01-\x08\x0e-\x1b\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\U000e0001\U000e0020-\U000e007f]"
)


def without_invisible(text: str) -> str:
    """``text`` without the characters of :data:`INVISIBLE`, nor a NUL."""
    return INVISIBLE.sub("", text.replace("\x00", ""))


def to_halfwidth(text: str) -> str:
    """Full-width digits, letters and spaces to ASCII (NFKC), as typed with a Chinese IME."""
    return unicodedata.normalize("NFKC", text)


def id_check_digit(first17: str) -> str:
    if len(first17) != len(_WEIGHTS):
        raise ValueError(f"a resident ID's check digit is computed from 17 digits, not {len(first17)}")
    if first17.isascii() and first17.isdigit():  # the bytes are the digits' codes: b"0" is 48
        return _CHECK[(sum(map(operator.mul, first17.encode(), _WEIGHTS)) - _ZEROS) % 11]
    return _CHECK[sum(map(operator.mul, map(int, first17), _WEIGHTS)) % 11]


def resident_id_forms(number: str) -> tuple[str, ...]:
    """The forms one person's resident ID is written in: the number itself, and its other form — the
    18-digit number an old 15-digit one became (19 put before the year, the check digit after), or the
    15-digit one an 18-digit number of someone born in the 1900s replaced. Anything else: itself only."""
    if len(number) == 15 and number.isascii() and number.isdigit():
        first17 = number[:6] + "19" + number[6:]
        return number, first17 + id_check_digit(first17)
    if len(number) == 18 and number[6:8] == "19" and number[:17].isascii() and number[:17].isdigit():
        return number, number[:6] + number[8:17]
    return (number,)


class ResidentId(NamedTuple):
    """A checked resident ID. ``legacy`` marks the old 15-digit form (no check digit). (A named tuple: a
    roster import makes one a row: 0.3 µs where a frozen dataclass took 0.75 µs.)"""

    number: str
    birth_date: dt.date
    sex: str  # 男 / 女
    address_code: str
    legacy: bool = False


class InvalidResidentId(ValueError):
    """The message is Chinese and says what is wrong."""


_SCIENTIFIC = re.compile(r"\d(\.\d+)?E\+?\d+")
_ID18 = re.compile(r"\d{17}[\dX]")
_SPACES = re.compile(r"\s+")


def normalize_resident_id(raw: str) -> str:
    """Strip spaces, convert full-width characters and a lowercase x; nothing else is changed."""
    if type(raw) is str and raw.isascii() and raw.isalnum():  # as typed, mostly: nothing to convert
        return raw.upper()
    return _SPACES.sub("", to_halfwidth(str(raw))).upper()


def parse_resident_id(raw: str, *, today: dt.date | None = None) -> ResidentId:
    """Validate a resident ID (18-digit with check digit, or legacy 15-digit).

    Raises :class:`InvalidResidentId` with a Chinese message; never guesses a repair.
    """
    number = normalize_resident_id(raw)
    today = today or dt.date.today()
    if "E" in number and _SCIENTIFIC.fullmatch(number):
        raise InvalidResidentId(
            "身份证号被 Excel 存成了数字（科学计数法），后几位已丢失，请把该列设为文本后重新录入"
        )
    if len(number) == 18:
        if not _ID18.fullmatch(number):
            raise InvalidResidentId("18 位身份证号只能是 17 位数字加 1 位数字或 X")
        birth = number[6:14]
        expected = id_check_digit(number[:17])
        if number[17] != expected:
            raise InvalidResidentId(f"身份证号校验位不对（应为 {expected}），请核对是否抄错")
        legacy = False
    elif len(number) == 15:
        if not number.isdigit():
            raise InvalidResidentId("15 位旧身份证号只能是数字")
        birth = "19" + number[6:12]
        legacy = True
    else:
        raise InvalidResidentId(f"身份证号应为 18 位（或旧式 15 位），现在是 {len(number)} 位")
    try:  # eight digits (checked above): as strptime("%Y%m%d") reads them, without its cost
        birth_date = dt.date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    except ValueError:
        raise InvalidResidentId(f"身份证号中的出生日期 {birth} 不存在") from None
    if birth_date > today or birth_date.year < 1880:
        raise InvalidResidentId(f"身份证号中的出生日期 {birth_date:%Y-%m-%d} 不合理")
    seq_digit = int(number[14] if legacy else number[16])
    return ResidentId(number, birth_date, "男" if seq_digit % 2 else "女", number[:6], legacy)


def check_resident_id_consistency(
    rid: ResidentId, *, birth_date: dt.date | None, sex: str | None
) -> list[str]:
    """Problems between an ID and a separately typed birth date / sex (Chinese messages)."""
    problems = []
    if birth_date is not None and birth_date != rid.birth_date:
        problems.append(f"出生日期 {birth_date:%Y-%m-%d} 与身份证号中的 {rid.birth_date:%Y-%m-%d} 不一致")
    if sex and sex != rid.sex:
        problems.append(f"性别“{sex}”与身份证号（{rid.sex}）不一致")
    return problems


def mask_resident_id(number: str | None) -> str:
    """110105********002X: keep the address code's first six and the last four."""
    if not number:
        return ""
    if len(number) <= 10:
        return number[:2] + "*" * max(len(number) - 2, 0)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def make_resident_id(address_code: str, birth_date: dt.date, sequence: int, sex: str) -> str:
    """Build a valid 18-digit ID (demo data, tests). ``sequence`` 0..499 picks the order number."""
    order = sequence * 2 + (1 if sex == "男" else 0)
    order = order % 1000
    if (order % 2 == 1) != (sex == "男"):
        order = (order + 1) % 1000
    first17 = f"{address_code}{birth_date:%Y%m%d}{order:03d}"
    return first17 + id_check_digit(first17)


_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


class InvalidPhone(ValueError):
    pass


def is_plain_mobile(text: str) -> bool:
    """A mobile number written as :func:`normalize_phone` returns it (11 ASCII digits)."""
    return len(text) == 11 and text.isascii() and _MOBILE.match(text) is not None


def normalize_phone(raw: str | float | int) -> str:
    """Normalise a phone number: mobiles to 11 digits, landlines to ``0area-number``.

    Spaces, dashes, brackets, full-width digits, a +86 prefix and Excel's ``.0`` are removed.
    Raises :class:`InvalidPhone` (Chinese message) for anything else.
    """
    if isinstance(raw, float):
        if raw != int(raw):
            raise InvalidPhone(f"电话号码“{raw}”不是整数")
        raw = int(raw)
    text = to_halfwidth(str(raw)).strip()
    if _MOBILE.match(text):  # the common case, as typed
        return text
    if re.fullmatch(r"\d+\.0", text):
        text = text[:-2]
    digits = re.sub(r"[\s\-()（）]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("861"):  # +86 with the + left out
        digits = digits[2:]
    if _MOBILE.match(digits):
        return digits
    if re.fullmatch(r"0\d{9,11}", digits):
        # Landline with area code: split 3-digit (010, 02x) or 4-digit area codes.
        area_len = 3 if digits[1] in "12" else 4
        return f"{digits[:area_len]}-{digits[area_len:]}"
    if re.fullmatch(r"\d{7,8}", digits):
        raise InvalidPhone(f"固定电话“{text}”缺少区号，请写成“区号-号码”，如 0535-1234567")
    raise InvalidPhone(f"电话号码“{text}”格式不对：手机为 1 开头的 11 位数字，固话为区号加号码")


class InvalidDivisionCode(ValueError):
    pass


def check_village_code(code: str, town_code: str | None = None) -> str:
    """12-digit village code (统计用区划代码); its first 9 digits must be the town's code, and its last 3
    (the village's own part, 001–999) cannot be 000, which is the town itself."""
    code = to_halfwidth(str(code)).strip()
    if not re.fullmatch(r"\d{12}", code):
        raise InvalidDivisionCode(f"村代码“{code}”应为 12 位数字（统计用区划代码）")
    if code.endswith("000"):
        raise InvalidDivisionCode(
            f"村代码 {code} 的后 3 位是 000，那是乡镇本身；请在前 9 位后填本村（村委会或居委会）自己的 3 位代码"
        )
    if town_code is not None and code[:9] != town_code:
        raise InvalidDivisionCode(f"村代码 {code} 的前 9 位应为所属乡镇代码 {town_code}")
    return code


def check_town_code(code: str) -> str:
    code = to_halfwidth(str(code)).strip()
    if not re.fullmatch(r"\d{9}", code):
        raise InvalidDivisionCode(f"乡镇代码“{code}”应为 9 位数字（统计用区划代码前 9 位）")
    return code
