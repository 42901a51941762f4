"""Every synced record type has a Chinese name, so no screen shows a table name to a user."""

import re

from db.base import synced_models

from app.sync.status import record_label

CJK = re.compile(r"^[\u4e00-\u9fff（）]+$")


def test_every_synced_model_has_a_chinese_label():
    missing = [m.__name__ for m in synced_models() if not CJK.match(m.__label__ or "")]
    assert missing == []


def test_record_label_uses_the_models_label():
    assert record_label("households") == "户"
    assert record_label("mediation_agreements") == "调解协议"
    assert record_label("no_such_type") == "no_such_type"


def test_conflict_fields_are_named_in_chinese_where_known():
    from app.sync.status import field_label

    assert field_label("address") == "住址（address）"
    assert field_label("situation") == "家庭情况（situation）"
    assert field_label("xyz") == "xyz"
