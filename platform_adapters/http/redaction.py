"""Redaction of secrets (tokens, keys, signs, Authorization headers) before anything is logged."""
from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SECRET_PARAMS = frozenset(
    {"access_token", "refresh_token", "sign", "app_secret", "partner_key", "code", "auth_code", "client_secret"}
)
SECRET_HEADERS = frozenset({"authorization", "x-tts-access-token", "cookie", "set-cookie"})
MASK = "***"


def redact_url(url: str) -> str:
    """``url`` with the values of secret query parameters replaced by ``***``."""
    parts = urlsplit(str(url))
    if not parts.query:
        return str(url)
    pairs = [(k, MASK if k.lower() in SECRET_PARAMS else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(pairs, safe="*")))


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with secret ones masked."""
    return {k: (MASK if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def mask(secret: str | None) -> str:
    """How a secret shows in a repr: its presence, never its value."""
    return MASK if secret else "''"
