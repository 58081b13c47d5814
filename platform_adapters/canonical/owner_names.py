"""How owner alias values and party names are compared: exact after normalisation, never fuzzy (pure).

One rule for both uses: import attribution (``aggregator.owners``) looks aliases up by these forms, and
the title ledger (``matching.title.policy.PolicyBook.party``) recognises the owner's legal entities on
transport documents by ``normalise_legal_name``, and compares any other party's names on an endorsement
chain by it (``matching.title.derive``: the endorsee of a bill and the recipient of its transfer).

* ``owner_code``: Unicode NFKC, trimmed, inner spaces collapsed, upper case (``lumina-hk`` = ``LUMINA-HK``).
* ``legal_name``: NFKC, case-folded, ``&`` read as ``and``, punctuation dropped, spaces collapsed, and
  the usual spellings of company forms made one (``Co., Ltd.`` = ``Co Ltd`` = ``Company Limited``,
  ``Pte. Ltd.`` = ``Private Limited``, ``Sdn. Bhd.`` = ``Sendirian Berhad``, ``Corp.`` = ``Corporation``,
  ``Inc.`` = ``Incorporated``). Words are never dropped: ``Lumina Commerce (M) Sdn Bhd`` and
  ``Lumina Commerce Sdn Bhd`` are two names.
* ``registration_no``: NFKC, upper case, only letters and digits kept (``201901-012345`` = ``201901012345``).
"""
from __future__ import annotations

import re
import unicodedata

OWNER_CODE, LEGAL_NAME, REGISTRATION_NO = "owner_code", "legal_name", "registration_no"
ALIAS_KINDS = (OWNER_CODE, LEGAL_NAME, REGISTRATION_NO)

# One spelling per company-form word (Hong Kong / Singapore / Malaysia / China English forms).
_FORM_WORDS = {
    "limited": "ltd", "company": "co", "corporation": "corp", "incorporated": "inc", "private": "pte",
    "sendirian": "sdn", "berhad": "bhd",
}
_PUNCTUATION = re.compile(r"[^\w\s]|_", re.UNICODE)
_NOT_ALNUM = re.compile(r"[\W_]", re.UNICODE)


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def normalise_owner_code(text: str) -> str:
    return " ".join(_nfkc(text).split()).upper()


def normalise_legal_name(text: str) -> str:
    folded = _nfkc(text).casefold().replace("&", " and ")
    words = _PUNCTUATION.sub(" ", folded).split()
    return " ".join(_FORM_WORDS.get(word, word) for word in words)


def normalise_registration_no(text: str) -> str:
    return _NOT_ALNUM.sub("", _nfkc(text).upper())


_NORMALISERS = {OWNER_CODE: normalise_owner_code, LEGAL_NAME: normalise_legal_name,
                REGISTRATION_NO: normalise_registration_no}


def normalise(kind: str, value: str) -> str:
    """The compared form of ``value`` for alias ``kind`` (one of ``ALIAS_KINDS``)."""
    try:
        return _NORMALISERS[kind](value)
    except KeyError:
        raise ValueError(f"unknown alias kind {kind!r}; kinds are {', '.join(ALIAS_KINDS)}") from None


def normalise_scope(kind: str, scope: str | None) -> str:
    """Scopes (warehouse codes, countries) compare like owner codes; a legal name has no scope."""
    return normalise_owner_code(scope or "")
