"""The gate: a typed, bounded check of everything that arrives in a file, before anything else reads it.

A bundle's manifest, its sections, its attachment index and a receipt are written by another
station, and a dishonest or broken station can put anything there. Nothing in them is used as a
size, a loop bound, a path or a key before it has passed here: every field has a type, a length and
a range, JSON nesting is limited, hashes are 64 lowercase hex digits, and a compressed section may
not grow past what the manifest declares, nor past :data:`MAX_SECTION_SIZE` or :data:`MAX_RATIO`
times its stored size. A failure is a :class:`~app.sync.bundle.BundleRejected` (or, for a receipt,
:class:`ReceiptInvalid`) whose reason is Chinese and names the field; the run goes on with the next file.

The limits are stated in ``docs/bundle-format.md`` ("The gate").
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from collections.abc import Callable
from typing import Any, Literal, overload

import msgspec

# -- limits -------------------------------------------------------------------------------------------
MAX_BUNDLE_FILE = 2 * 1024**3  # a bundle file larger than this is refused before it is read
MAX_MANIFEST = 1024 * 1024  # manifest JSON, bytes
MAX_RECEIPT = 4 * 1024 * 1024  # receipt file, bytes (it may list rejected rows)
MAX_CARD = 64 * 1024  # station card file, bytes
MAX_DEPTH = 8  # JSON nesting of a manifest or receipt (the honest ones nest 3 deep)
MAX_SECTIONS = 256
MAX_SECTION_SIZE = 1024**3  # one section, uncompressed
MAX_PLAIN_TOTAL = 2 * 1024**3  # all sections together, uncompressed
MAX_RATIO = 100  # uncompressed / compressed size of one section (real sections: 5–20)
RATIO_SLACK = 64 * 1024  # tiny sections compress better than any ratio says
MAX_ROWS = 10_000_000  # rows of one section
MAX_SEQUENCE = 10**9
MAX_COUNTER = 2**53  # counters and versions (JSON integers stay exact below this)
MAX_ATTACHMENTS = 1_000_000
MAX_ATTACHMENT_SIZE = 64 * 1024 * 1024
MAX_TEXT = 1024 * 1024  # one text cell, characters
MAX_RECEIPT_REJECTIONS = 100_000
SEQ_AHEAD = 1000  # a sequence this far beyond the last one received from a sender is refused

SHA256 = re.compile(r"[0-9a-f]{64}")
# many hashes checked at once (:func:`all_sha256`)
_SHA256_RUN = re.compile(r"[0-9a-f]{64}(?:\n[0-9a-f]{64})*")


def all_sha256(values: list[Any]) -> bool:
    """Is every one of ``values`` (at least one) 64 lowercase hex digits? One match over them all, joined
    by newlines; each is first found to be text exactly 64 characters long, so that a newline inside a
    value cannot stand where the match expects a seam."""
    return (
        set(map(type, values)) == {str}
        and set(map(len, values)) == {64}
        and _SHA256_RUN.fullmatch("\n".join(values)) is not None
    )


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CODE = re.compile(r"[0-9]{9}|[0-9]{12}")
TOWN_CODE = re.compile(r"[0-9]{9}")
VILLAGE_CODE = re.compile(r"[0-9]{12}")
B64 = re.compile(r"[A-Za-z0-9+/]{1,200}={0,2}")
SECTION_NAME = re.compile(r"[a-z_:.]{1,64}")


REASONS = (
    "文件不完整",
    "不是民情簿上报包",
    "签名不符",
    "未登记的工作站",
    "已吊销",
    "不属于本镇",
    "不属于本工作站",
    "版本过新",
    "内容损坏",
    "数据不一致",
    "序号不合理",
)


class BundleRejected(Exception):
    """The file is refused; ``reason`` is Chinese and starts with one of :data:`REASONS`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FileInvalid(Exception):
    """A receipt or card file fails the gate; ``reason`` is Chinese."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReceiptInvalid(FileInvalid):
    """A receipt file fails the gate."""


# -- JSON -----------------------------------------------------------------------------------------------
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(data: bytes, limit: int) -> int:
    """The deepest nesting of ``data`` (JSON), counted up to ``limit + 1`` (strings skipped)."""
    depth = deepest = 0
    for m in _BRACKET.finditer(_STRING.sub(b'""', data)):
        if m.group() in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        else:
            depth -= 1
    return deepest


_JSON = msgspec.json.Decoder()


def load_json(
    data: bytes, *, what: str, max_bytes: int, max_depth: int | None, fail: Callable[[str], Exception]
) -> Any:
    """Parse JSON that came from outside: size and (when given) depth first; never a RecursionError.

    msgspec parses (a bundle's sections, 30 MB a village-year, in about four fifths of the standard
    library's time), numbers as ``json`` does (an integer of any size stays an integer, which SQLite then
    refuses), and is the stricter reader: NaN, Infinity, a number that overflows to one, a lone
    surrogate and a byte-order mark, which ``json`` let in, are refused here as not valid JSON."""
    if len(data) > max_bytes:
        raise fail(f"{what}过大（{len(data)} 字节，上限 {max_bytes} 字节）")
    if data.lstrip()[:1] not in (b"{", b"["):  # every document of ours is an object or a list
        raise fail(f"这不是民情簿的{what}文件，可能拿错了文件")
    if max_depth is not None and json_depth(data, max_depth) > max_depth:
        raise fail(f"{what}的嵌套层数超过 {max_depth} 层")
    try:
        return _JSON.decode(data)
    except RecursionError:
        raise fail(f"{what}的嵌套层数过深") from None
    except msgspec.DecodeError:
        raise fail(f"{what}不是有效的 JSON") from None


# -- field checks ---------------------------------------------------------------------------------------
_ABSENT = object()


class _Fields:
    """Typed access to one JSON object; every failure names the field by its dotted path."""

    def __init__(self, doc: Any, path: str, fail: Callable[[str], Exception]) -> None:
        if not isinstance(doc, dict):
            raise fail(f"{path or '内容'} 应为对象")
        self.doc: dict[str, Any] = doc
        self.path, self.fail = path, fail

    def _name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _get(self, key: str, optional: bool) -> Any:
        """The value; ``_ABSENT`` for an optional key that is not there (present means typed: a
        present ``null`` is checked like any other value)."""
        if key not in self.doc:
            if optional:
                return _ABSENT
            raise self.fail(f"缺少字段 {self._name(key)}")
        return self.doc[key]

    @overload
    def text(
        self,
        key: str,
        *,
        max_len: int = ...,
        pattern: re.Pattern[str] | None = ...,
        optional: Literal[False] = ...,
        allow_none: Literal[False] = ...,
    ) -> str: ...
    @overload
    def text(
        self,
        key: str,
        *,
        max_len: int = ...,
        pattern: re.Pattern[str] | None = ...,
        optional: bool = ...,
        allow_none: bool = ...,
    ) -> str | None: ...
    def text(
        self,
        key: str,
        *,
        max_len: int = 200,
        pattern: re.Pattern[str] | None = None,
        optional: bool = False,
        allow_none: bool = False,
    ) -> str | None:
        value = self._get(key, optional)
        if value is _ABSENT or (value is None and allow_none):
            return None
        if not isinstance(value, str):
            raise self.fail(f"字段 {self._name(key)} 应为文字")
        if len(value) > max_len:
            raise self.fail(f"字段 {self._name(key)} 过长（{len(value)} 字，上限 {max_len}）")
        if pattern is not None and not pattern.fullmatch(value):
            raise self.fail(f"字段 {self._name(key)} 的格式不对")
        return value

    def time(self, key: str) -> str:
        """An ISO time (UTC, optionally with a trailing Z)."""
        value = self.text(key, max_len=40)
        try:
            dt.datetime.fromisoformat(value.rstrip("Z"))
        except ValueError:
            raise self.fail(f"字段 {self._name(key)} 不是有效的时间") from None
        return value

    @overload
    def integer(
        self, key: str, *, low: int = ..., high: int = ..., optional: Literal[False] = ...
    ) -> int: ...
    @overload
    def integer(self, key: str, *, low: int = ..., high: int = ..., optional: bool = ...) -> int | None: ...
    def integer(
        self, key: str, *, low: int = 0, high: int = MAX_COUNTER, optional: bool = False
    ) -> int | None:
        value = self._get(key, optional)
        if value is _ABSENT:
            return None
        if type(value) is not int:  # bool is an int in Python; it is not a number here
            raise self.fail(f"字段 {self._name(key)} 应为整数")
        if not low <= value <= high:
            raise self.fail(f"字段 {self._name(key)} 的值 {value} 超出范围（{low}–{high}）")
        return value

    def flag(self, key: str) -> bool:
        value = self._get(key, False)
        if not isinstance(value, bool):
            raise self.fail(f"字段 {self._name(key)} 应为是/否")
        return value

    @overload
    def obj(self, key: str, *, optional: Literal[False] = ...) -> _Fields: ...
    @overload
    def obj(self, key: str, *, optional: bool = ...) -> _Fields | None: ...
    def obj(self, key: str, *, optional: bool = False) -> _Fields | None:
        value = self._get(key, optional)
        if value is _ABSENT:
            return None
        return _Fields(value, self._name(key), self.fail)

    def items(self, key: str, *, max_items: int, optional: bool = False) -> list[Any]:
        value = self._get(key, optional)
        if value is _ABSENT:
            return []
        if not isinstance(value, list):
            raise self.fail(f"字段 {self._name(key)} 应为列表")
        if len(value) > max_items:
            raise self.fail(f"字段 {self._name(key)} 有 {len(value)} 项，超过上限 {max_items}")
        return value


def _bundle_fail(text: str) -> BundleRejected:
    return BundleRejected(f"内容损坏：清单{text}")


def _station(f: _Fields, *, key: bool, town_code: bool = True) -> None:
    f.text("station_id", max_len=36, pattern=UUID)
    kind = f.text("kind", max_len=10)
    if kind not in ("village", "town"):
        raise f.fail(f"字段 {f.path}.kind 只能是 village 或 town")
    f.text("code", max_len=12, pattern=VILLAGE_CODE if kind == "village" else TOWN_CODE)
    f.text("name", max_len=100)
    f.text("town_code", max_len=9, pattern=TOWN_CODE, optional=not town_code)
    if key:
        f.text("sign_public_key", max_len=100, pattern=B64)


def check_manifest(manifest: Any) -> dict[str, Any]:
    """Every field a reader of the manifest uses, typed and bounded; returns the manifest."""
    f = _Fields(manifest, "", _bundle_fail)
    if f.text("format", max_len=40) != "minqing-bundle":
        raise BundleRejected("不是民情簿上报包：清单格式不对")
    f.integer("format_version", low=1, high=1000)
    f.text("schema_version", max_len=64)
    f.text("app_version", max_len=64, optional=True)
    for i, cap in enumerate(f.items("requires", max_items=32)):
        if not isinstance(cap, str) or len(cap) > 64:
            raise _bundle_fail(f"字段 requires[{i}] 应为不超过 64 字的文字")
    if f.text("direction", max_len=4) not in ("up", "down"):
        raise _bundle_fail("字段 direction 只能是 up 或 down")
    f.text("bundle_id", max_len=36, pattern=UUID)
    f.integer("sequence", low=1, high=MAX_SEQUENCE)
    f.time("created_at")
    _station(f.obj("sender"), key=True)
    _station(f.obj("recipient"), key=False)
    f.text("village_code", max_len=12, pattern=VILLAGE_CODE)
    counter = f.obj("counter")
    start = counter.integer("from")
    if counter.integer("to", low=start) is None:  # pragma: no cover - integer() never returns None here
        raise _bundle_fail("字段 counter.to 缺失")
    prerequisites = f.obj("prerequisites", optional=True)
    if prerequisites is not None:
        prerequisites.integer("sender_changes_through", optional=True)
    ack = f.obj("acknowledges", optional=True)
    if ack is not None:
        ack.text("station_id", max_len=36, pattern=UUID, optional=True)
        ack.integer("through", optional=True)
    tables = f.obj("tables", optional=True)
    if tables is not None:
        if len(tables.doc) > MAX_SECTIONS:
            raise _bundle_fail("字段 tables 项数过多")
        for k, v in tables.doc.items():
            if not isinstance(v, str) or len(k) > 64 or len(v) > 64:
                raise _bundle_fail("字段 tables 的内容不对")
    names: set[str] = set()
    total = 0
    for i, raw in enumerate(f.items("sections", max_items=MAX_SECTIONS)):
        sec = _Fields(raw, f"sections[{i}]", _bundle_fail)
        name = sec.text("name", max_len=64, pattern=SECTION_NAME)
        if name in names:
            raise _bundle_fail(f"字段 sections[{i}].name 重复（{name}）")
        names.add(name)
        sec.integer("count", high=MAX_ROWS if name.startswith("table:") else MAX_ATTACHMENTS)
        size = sec.integer("size", high=MAX_SECTION_SIZE)
        stored = sec.integer("stored_size", high=MAX_SECTION_SIZE)
        if sec.flag("compressed"):
            if size > stored * MAX_RATIO + RATIO_SLACK:
                raise _bundle_fail(
                    f"字段 sections[{i}] 声明解压后 {size} 字节，超过压缩后大小的 {MAX_RATIO} 倍"
                )
        elif size != stored:
            raise _bundle_fail(f"字段 sections[{i}] 未压缩却声明了不同的大小")
        sec.text("sha256", max_len=64, pattern=SHA256)
        total += size
    if total > MAX_PLAIN_TOTAL:
        raise _bundle_fail(f"声明的数据共 {total} 字节，超过上限 {MAX_PLAIN_TOTAL} 字节")
    enc = f.obj("encryption")
    enc.text("algorithm", max_len=64)
    enc.text("ephemeral_public", max_len=100, pattern=B64)
    enc.text("nonce", max_len=40, pattern=B64)
    payload = f.obj("payload")
    payload.integer("size", high=MAX_BUNDLE_FILE)
    payload.text("sha256", max_len=64, pattern=SHA256)
    return f.doc  # the manifest itself, known now to be an object


def decompress(blob: bytes, size: int, what: str) -> bytes:
    """Inflate a section (``what``: its name as the clerk reads it) to exactly its declared ``size``
    (already bounded by :func:`check_manifest`): never more, whatever the compressed data says."""
    d = zlib.decompressobj()
    try:
        raw = d.decompress(blob, size + 1)
        if len(raw) > size or not d.eof or d.unused_data or d.unconsumed_tail:
            raise BundleRejected(f"内容损坏：{what}解压后的大小与清单不符")
    except zlib.error:
        raise BundleRejected(f"内容损坏：{what}无法解压") from None
    return raw


class _IndexEntry(msgspec.Struct, forbid_unknown_fields=True):
    sha256: str
    size: int


# A well-formed attachment index, decoded and typed in one pass: a flat list of {sha256, size} and nothing
# else (an unknown field or a value of another type stops the decoder where it stands, so nothing is
# nested below it: no depth to check first).
_INDEX = msgspec.json.Decoder(list[_IndexEntry])


def attachment_index(raw: bytes, data_size: int) -> list[tuple[str, int]]:
    """The attachment index section ``raw``, checked, as (sha256, size) pairs whose sizes add up to the
    data section's ``data_size``. An index that passes is decoded and checked on whole columns (a
    village-year's 4 900 attachments: 28 -> 8 ms with their hashes); any other goes through
    :func:`load_json` and :func:`check_attachment_index`, which say what is wrong with which entry."""
    if len(raw) <= MAX_SECTION_SIZE:
        try:
            entries = _INDEX.decode(raw)
        except msgspec.DecodeError:  # (its ValidationError too)
            entries = None
        if entries is not None and len(entries) <= MAX_ATTACHMENTS:
            shas, sizes = [e.sha256 for e in entries], [e.size for e in entries]
            if not entries:
                if data_size == 0:
                    return []
            elif (
                all_sha256(shas)
                and min(sizes) >= 0
                and max(sizes) <= MAX_ATTACHMENT_SIZE
                and sum(sizes) == data_size
            ):
                return list(zip(shas, sizes, strict=True))
    index = load_json(
        raw,
        what="附件目录",
        max_bytes=MAX_SECTION_SIZE,
        max_depth=MAX_DEPTH,
        fail=lambda text: BundleRejected(f"内容损坏：{text}"),
    )
    return check_attachment_index(index, data_size)


def check_attachment_index(index: Any, data_size: int) -> list[tuple[str, int]]:
    """The attachment index: a list of ``{sha256, size}`` whose sizes add up to the data section."""
    if not isinstance(index, list) or len(index) > MAX_ATTACHMENTS:
        raise BundleRejected("内容损坏：附件目录的格式不对")
    out: list[tuple[str, int]] = []
    total = 0
    for i, raw in enumerate(index):
        item = _Fields(raw, f"附件目录第 {i + 1} 项", lambda t: BundleRejected(f"内容损坏：{t}"))
        sha = item.text("sha256", max_len=64, pattern=SHA256)
        size = item.integer("size", high=MAX_ATTACHMENT_SIZE)
        total += size
        out.append((sha, size))
    if total != data_size:
        raise BundleRejected("内容损坏：附件数据的长度与目录不符")
    return out


# -- receipts -------------------------------------------------------------------------------------------
def _receipt_fail(text: str) -> ReceiptInvalid:
    return ReceiptInvalid(f"回执内容不对：{text}")


def load_receipt(data: bytes) -> dict[str, Any]:
    doc = load_json(data, what="回执", max_bytes=MAX_RECEIPT, max_depth=MAX_DEPTH, fail=_receipt_fail)
    if not isinstance(doc, dict) or doc.get("format") != "minqing-receipt":
        raise ReceiptInvalid("不是民情簿的回执")
    return doc


def check_receipt(doc: dict[str, Any], known_version: int) -> dict[str, Any]:
    f = _Fields(doc, "", _receipt_fail)
    version = f.integer("version", low=1, high=1000)
    if version > known_version:
        raise ReceiptInvalid("回执版本过新，请升级民情簿")
    f.text("receipt_id", max_len=36, pattern=UUID)
    f.time("created_at")
    _station(f.obj("sender"), key=True, town_code=False)
    recipient = f.obj("recipient")
    recipient.text("station_id", max_len=36, pattern=UUID)
    recipient.text("code", max_len=12, pattern=CODE)
    recipient.text("name", max_len=100)
    f.integer("through")
    seqs = f.items("received_seqs", max_items=1_000_000)
    if any(type(n) is not int or not 1 <= n <= MAX_SEQUENCE for n in seqs):
        raise _receipt_fail("字段 received_seqs 应为包序号的列表")
    f.integer("last_seq", high=MAX_SEQUENCE)
    counts = f.obj("counts")
    if len(counts.doc) > 16 or any(
        type(v) is not int or not 0 <= v <= MAX_COUNTER for v in counts.doc.values()
    ):
        raise _receipt_fail("字段 counts 的内容不对")
    for i, raw in enumerate(f.items("rejected", max_items=MAX_RECEIPT_REJECTIONS, optional=True)):
        item = _Fields(raw, f"rejected[{i}]", _receipt_fail)
        item.text("record_type", max_len=64)
        item.text("id", max_len=36)
        item.integer("version")
        item.text("reason", max_len=500)
    f.integer("rejected_total", optional=True)
    f.text("signature", max_len=200, pattern=B64)
    return doc


# -- station cards --------------------------------------------------------------------------------------
def check_card(data: bytes) -> dict[str, Any]:
    """A station card: size, depth and every field typed (the signature is the caller's check)."""

    def fail(text: str) -> FileInvalid:
        return FileInvalid(f"卡片内容不对：{text}")

    doc = load_json(data, what="卡片", max_bytes=MAX_CARD, max_depth=MAX_DEPTH, fail=fail)
    if not isinstance(doc, dict) or doc.get("format") != "minqing-station-card":
        raise FileInvalid("不是民情簿的工作站卡片")
    f = _Fields(doc, "", fail)
    f.integer("version", low=1, high=1000)
    _station(f, key=True)
    f.text("town_name", max_len=100, allow_none=True)
    f.text("encrypt_public_key", max_len=100, pattern=B64)
    f.text("signature", max_len=200, pattern=B64)
    return doc
