"""Pure validators and normalisers for logistics identifiers.

Container numbers (ISO 6346 check digit), air waybill numbers (IATA mod-7 check digit), UN/LOCODEs
(DCSA pattern) and free-form document numbers (bills of lading, declarations, bookings, seals).

Every function is total: it accepts any ``str`` (or ``None``) and never raises; validators return
``False`` and normalisers return ``""`` when there is nothing usable. Normalisers are idempotent:
``f(f(x)) == f(x)``. Validation is a flag for the caller (a WARNING problem plus a ``*_valid``
column), never a reason to drop a value.
"""
from __future__ import annotations

import re

# Full-width forms U+FF01..U+FF5E map onto ASCII U+0021..U+007E; U+3000 is the ideographic space.
_FULLWIDTH_OFFSET = 0xFF01 - 0x21
_FULLWIDTH_TABLE = {code: code - _FULLWIDTH_OFFSET for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH_TABLE[0x3000] = 0x20
# Dashes and dots that forwarders and OCR put inside numbers.
_SEPARATOR_CHARS = "-_./\\:,;|#'\"\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fb\u00b7"
_SEPARATORS_RE = re.compile("[" + re.escape(_SEPARATOR_CHARS) + r"\s]+")
_WHITESPACE_RE = re.compile(r"\s+")

# ISO 6346 letter values: A=10 upwards, skipping multiples of 11 (11, 22, 33).
_ISO6346_LETTER_VALUES: dict[str, int] = {}
_value = 10
for _letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    if _value % 11 == 0:
        _value += 1
    _ISO6346_LETTER_VALUES[_letter] = _value
    _value += 1
del _value, _letter

_CONTAINER_RE = re.compile(r"^[A-Z]{3}[UJZR][0-9]{6}[0-9]$")
_UNLOCODE_RE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
_AWB_RE = re.compile(r"^[0-9]{11}$")


def to_halfwidth(text: str | None) -> str:
    """Return ``text`` with full-width ASCII forms and the ideographic space turned into ASCII."""
    if not text:
        return ""
    if text.isascii():  # (nothing full-width in it: a look at a flag, where translating reads every character)
        return text
    return text.translate(_FULLWIDTH_TABLE)


def to_fullwidth(text: str) -> str:
    """Inverse of :func:`to_halfwidth` for printable ASCII (used by tests and fixture generators)."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch == " ":
            out.append("\u3000")
        elif 0x21 <= code <= 0x7E:
            out.append(chr(code + _FULLWIDTH_OFFSET))
        else:
            out.append(ch)
    return "".join(out)


def clean_text(text: str | None) -> str:
    """Half-width, trimmed, inner whitespace collapsed to one space. Case is kept (SKUs, names)."""
    if text and text.isascii() and text.isprintable() and "  " not in text:
        return text.strip()  # printable ASCII: nothing full-width, spaces the only whitespace (most cells)
    return _WHITESPACE_RE.sub(" ", to_halfwidth(text)).strip()


def normalize_document_number(text: str | None) -> str:
    """Key form of a document number: half-width, upper case, no whitespace or separators.

    ``" zcru-2603 01234 "`` → ``"ZCRU260301234"``; ``"６１８－５０１２３４５２"`` → ``"61850123452"``.
    Used for bills of lading, air waybills, bookings, declarations, seals and container numbers so
    that the same document written two ways joins.
    """
    if text and text.isascii() and text.isalnum():  # (letters and digits only: nothing to take out)
        return text.upper()
    return _SEPARATORS_RE.sub("", to_halfwidth(text)).upper()


def normalize_container_number(text: str | None) -> str:
    """Key form of a container number (same rule as document numbers: ``"TCLU 654321-4"`` → ``"TCLU6543214"``)."""
    return normalize_document_number(text)


def iso6346_check_digit(first_ten: str) -> int | None:
    """ISO 6346 check digit of the owner code + category + serial (10 characters), or None if malformed."""
    if not isinstance(first_ten, str) or len(first_ten) != 10:
        return None
    total = 0
    for position, ch in enumerate(first_ten):
        if position < 4:
            value = _ISO6346_LETTER_VALUES.get(ch)
        else:
            value = int(ch) if ch.isascii() and ch.isdigit() else None
        if value is None:
            return None
        total += value << position
    return total % 11 % 10


def is_valid_container_number(text: str | None) -> bool:
    """True when ``text`` normalises to an ISO 6346 container number with a correct check digit."""
    number = normalize_container_number(text)
    if not _CONTAINER_RE.match(number):
        return False
    return iso6346_check_digit(number[:10]) == int(number[10])


def awb_check_digit(serial: str) -> int | None:
    """IATA air waybill check digit: the 7-digit serial modulo 7 (unweighted); None if malformed."""
    if not isinstance(serial, str) or len(serial) != 7 or not (serial.isascii() and serial.isdigit()):
        return None
    return int(serial) % 7


def normalize_awb(text: str | None) -> str:
    """Key form of an air waybill number: the 11 digits without separators (``"618-50123452"`` → ``"61850123452"``)."""
    return normalize_document_number(text)


def format_awb(text: str | None) -> str:
    """Display form ``PPP-SSSSSSSC`` of an 11-digit AWB, or the key form unchanged if it is not one."""
    number = normalize_awb(text)
    if _AWB_RE.match(number):
        return f"{number[:3]}-{number[3:]}"
    return number


def is_valid_awb(text: str | None) -> bool:
    """True when ``text`` is an 11-digit AWB (prefix + serial + check) whose mod-7 check digit is right."""
    number = normalize_awb(text)
    if not _AWB_RE.match(number):
        return False
    return awb_check_digit(number[3:10]) == int(number[10])


def looks_like_awb(text: str | None) -> bool:
    """True when the text has the AWB shape (11 digits once separators are removed), valid or not."""
    return bool(_AWB_RE.match(normalize_awb(text)))


def normalize_unlocode(text: str | None) -> str:
    """Key form of a UN/LOCODE: half-width, upper case, inner spaces removed (``"my pkg"`` → ``"MYPKG"``): the
    document numbers' rule."""
    return normalize_document_number(text)


def is_valid_unlocode(text: str | None) -> bool:
    """True when ``text`` normalises to the DCSA UN/LOCODE pattern ``^[A-Z]{2}[A-Z2-9]{3}$``."""
    return bool(_UNLOCODE_RE.match(normalize_unlocode(text)))
