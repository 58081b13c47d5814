"""Secrets never reach a log line: tokens, keys, signs and Authorization headers are redacted."""
from __future__ import annotations

import io
import json
import logging

import pytest

from aggregator.logging_setup import configure_logging, redact, redact_text

SECRET = "s3cr3tVALUE123"


@pytest.mark.parametrize("text", [
    f"GET /api/v2/order/get_order_list?partner_id=1&access_token={SECRET}&sign={SECRET}&shop_id=2",
    f'{{"access_token": "{SECRET}", "refresh_token":"{SECRET}", "expire_in": 14400}}',
    f"Authorization: Bearer {SECRET}",
    f"x-tts-access-token: {SECRET}",
    f"app_secret={SECRET}",
])
def test_redact_text_removes_the_secret(text: str) -> None:
    out = redact_text(text)
    assert SECRET not in out
    assert "***" in out


def test_redact_keeps_ordinary_fields() -> None:
    data = {"order_sn": "2611010001", "headers": {"Authorization": f"Bearer {SECRET}"}, "sign": SECRET}
    out = redact(data)
    assert out["order_sn"] == "2611010001"
    assert out["sign"] == "***" and out["headers"]["Authorization"] == "***"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_log_records_are_redacted_in_message_args_and_extras(fmt: str) -> None:
    stream = io.StringIO()
    configure_logging("INFO", fmt, stream)
    try:
        log = logging.getLogger("test.redaction")
        log.info("refreshing with %s", f"refresh_token={SECRET}", extra={"access_token": SECRET,
                                                                          "shop_id": "480012345"})
        try:
            raise RuntimeError(f"upstream said sign={SECRET}")
        except RuntimeError:
            log.exception("call failed")
    finally:
        configure_logging("WARNING", "text")
    output = stream.getvalue()
    assert SECRET not in output
    assert "480012345" in output and "call failed" in output
    if fmt == "json":
        first = json.loads(output.splitlines()[0])
        assert first["access_token"] == "***" and first["shop_id"] == "480012345"
