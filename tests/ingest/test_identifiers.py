"""Identifier validators and normalisers: examples from the reference note plus property tests."""
from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iso6346 as stdnum_iso6346

from platform_adapters.canonical.identifiers import (
    awb_check_digit,
    clean_text,
    format_awb,
    is_valid_awb,
    is_valid_container_number,
    is_valid_unlocode,
    iso6346_check_digit,
    normalize_awb,
    normalize_container_number,
    normalize_document_number,
    normalize_unlocode,
    to_fullwidth,
    to_halfwidth,
)

owner_codes = st.text(alphabet=string.ascii_uppercase, min_size=3, max_size=3)
categories = st.sampled_from("UJZR")
serials = st.text(alphabet=string.digits, min_size=6, max_size=6)
printable_ascii = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E))


@pytest.mark.parametrize("number", ["CSQU3054383", "TEXU3070079", "MSKU6011672", "APZU4812090",
                                    "TCLU6543214", "SEGU4812090", "MSMU7300156"])
def test_known_valid_container_numbers(number):
    assert is_valid_container_number(number)


def test_dcsa_empty_container_example_fails_the_check():
    assert not is_valid_container_number("APNR7744962")


def test_worked_example_from_the_reference():
    assert iso6346_check_digit("CSQU305438") == 3


@pytest.mark.parametrize("text", ["tclu 654321-4", "ＴＣＬＵ６５４３２１４", " TCLU-654321.4 "])
def test_container_number_written_differently_normalises_and_validates(text):
    assert normalize_container_number(text) == "TCLU6543214"
    assert is_valid_container_number(text)


@pytest.mark.parametrize("text", ["", None, "TCLU654321", "TCLU65432145", "1CLU6543214", "TCLX6543214"])
def test_malformed_container_numbers_are_invalid(text):
    assert not is_valid_container_number(text)


@given(owner_codes, categories, serials)
def test_computed_check_digit_always_validates_and_others_fail(owner, category, serial):
    first_ten = owner + category + serial
    digit = iso6346_check_digit(first_ten)
    assert digit is not None and 0 <= digit <= 9
    assert is_valid_container_number(first_ten + str(digit))
    for wrong in set("0123456789") - {str(digit)}:
        assert not is_valid_container_number(first_ten + wrong)


@given(owner_codes, categories, serials)
def test_check_digit_agrees_with_python_stdnum(owner, category, serial):
    first_ten = owner + category + serial
    assert str(iso6346_check_digit(first_ten)) == stdnum_iso6346.calc_check_digit(first_ten)


@given(owner_codes, categories, serials, st.sampled_from(string.digits))
def test_validity_agrees_with_python_stdnum(owner, category, serial, digit):
    number = owner + category + serial + digit
    assert is_valid_container_number(number) == stdnum_iso6346.is_valid(number)


def test_awb_example_from_samples():
    assert is_valid_awb("618-50123452")
    assert normalize_awb("618-50123452") == "61850123452"
    assert format_awb("61850123452") == "618-50123452"
    assert not is_valid_awb("618-50123453")
    assert awb_check_digit("1234567") == 5


@given(st.text(alphabet=string.digits, min_size=3, max_size=3), st.text(alphabet=string.digits, min_size=7, max_size=7))
def test_awb_with_computed_check_digit_validates(prefix, serial):
    digit = awb_check_digit(serial)
    assert 0 <= digit <= 6
    number = f"{prefix}-{serial}{digit}"
    assert is_valid_awb(number)
    assert format_awb(number) == number
    assert not is_valid_awb(f"{prefix}-{serial}{(digit + 1) % 10}") or (digit + 1) % 10 == digit


@pytest.mark.parametrize("code,valid", [("MYPKG", True), ("cnytn", True), ("MY PKG", True), ("MYPK0", False),
                                        ("MYPK1", False), ("M1PKG", False), ("MYPKGX", False), ("", False)])
def test_unlocode_pattern(code, valid):
    assert is_valid_unlocode(code) is valid


def test_document_number_normalisation_examples():
    assert normalize_document_number(" zcru-2603 01234 ") == "ZCRU260301234"
    assert normalize_document_number("６１８－５０１２３４５２") == "61850123452"
    assert normalize_document_number("K1/PLACEHOLDER\u3000_0001") == "K1PLACEHOLDER0001"
    assert normalize_document_number(None) == ""


@given(st.text())
def test_normalisers_are_total_and_idempotent(text):
    for normaliser in (normalize_document_number, normalize_container_number, normalize_awb,
                       normalize_unlocode, clean_text, to_halfwidth):
        once = normaliser(text)
        assert isinstance(once, str)
        assert normaliser(once) == once
    for validator in (is_valid_container_number, is_valid_awb, is_valid_unlocode):
        assert validator(text) in (True, False)


@given(st.text())
def test_document_number_key_has_no_whitespace_or_lower_case_ascii(text):
    key = normalize_document_number(text)
    assert not any(ch.isspace() for ch in key)
    assert not any(ch in string.ascii_lowercase for ch in key)


@given(st.one_of(st.text(), st.text(alphabet=string.ascii_letters + string.digits + "-. ")))
def test_document_number_key_is_the_separators_taken_out_whatever_the_text(text):
    """Letters and digits alone are upper-cased without the separators' search: the same key as with it."""
    from platform_adapters.canonical.identifiers import _SEPARATORS_RE

    assert normalize_document_number(text) == _SEPARATORS_RE.sub("", to_halfwidth(text)).upper()


@given(st.text())
def test_halfwidth_is_the_table_s_translation_whatever_the_text(text):
    """ASCII text is returned as it is, without translating: the same as the table's translation."""
    from platform_adapters.canonical.identifiers import _FULLWIDTH_TABLE

    assert to_halfwidth(text) == text.translate(_FULLWIDTH_TABLE)


@given(printable_ascii)
def test_fullwidth_round_trip(text):
    assert to_halfwidth(to_fullwidth(text)) == text


@given(printable_ascii)
def test_fullwidth_and_ascii_forms_have_the_same_key(text):
    assert normalize_document_number(to_fullwidth(text)) == normalize_document_number(text)
    assert clean_text(to_fullwidth(text)) == clean_text(text)
