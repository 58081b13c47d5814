"""A reject's or failed batch's reason names the error's type and the first line of its message, at most 300
characters of it; an error with no message at all still gives a reason (it raised IndexError before)."""
from __future__ import annotations

from aggregator.ingest.tabular_import import _store_failed
from aggregator.ingest.writers import error_text


def test_an_error_is_named_by_its_type_and_first_line() -> None:
    assert error_text(ValueError("refused\nDETAIL: key exists")) == "ValueError: refused"
    assert error_text(TypeError("x" * 500)) == "TypeError: " + "x" * 300


def test_an_error_without_a_message_still_gives_a_reason() -> None:
    assert error_text(ValueError()) == "ValueError: "
    assert _store_failed(ValueError()) == "could not be stored: ValueError: "
