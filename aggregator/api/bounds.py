"""The API's input edge: what every request must satisfy before any route sees it, and the shared
bounded parameter types routes declare.

``InputGuard`` (ASGI middleware, for ``/api/`` paths) refuses with problem+json:

* a path or query string with a NUL or another control character (C0, DEL, C1), or that is not
  UTF-8, or a lone surrogate: 422 (PostgreSQL cannot store NUL in text; nothing we serve contains one);
* a query string longer than ``MAX_QUERY`` bytes: 414;
* an API key in the query string (``?key=``, ``?api_key=``, ``?token=``, …): 400. Keys travel only in
  the ``Authorization`` header, so they never reach an access log or a browser history.

Integers are bounded where they are declared (``Limit``), strings by length (``Text``, ``Ident``).
"""
from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import parse_qsl, unquote_to_bytes

from fastapi import Path, Query
from starlette.types import ASGIApp, Receive, Scope, Send

from aggregator.api.problems import problem_response

MAX_QUERY = 4096
#: query parameter names that would carry a credential
KEY_PARAMS = frozenset({"key", "api_key", "apikey", "api-key", "access_token", "token", "auth", "authorization",
                        "bearer", "secret"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def _refusal(path: str, query: bytes) -> tuple[int, str] | None:
    if has_control(path):
        return 422, "the path contains a control character"
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return 422, "the path is not valid UTF-8"
    if len(query) > MAX_QUERY:
        return 414, f"the query string is longer than {MAX_QUERY} bytes"
    if not query:
        return None
    try:
        raw = query.decode("ascii")
        pairs = parse_qsl(raw, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return 422, "the query string is not valid UTF-8"
    for name, value in pairs:
        if name.strip().lower() in KEY_PARAMS:
            return 400, ("API keys are not accepted in the query string; send them as "
                         "'Authorization: Bearer <key>'")
        if has_control(name) or has_control(value):
            return 422, f"query parameter {name[:40]!r} contains a control character"
    return None


class InputGuard:
    """ASGI middleware refusing hostile paths and query strings of ``/api/`` requests (see module doc)."""

    def __init__(self, app: ASGIApp, prefixes: tuple[str, ...] = ("/api/",)) -> None:
        self.app = app
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefixes):
            raw_path = scope.get("raw_path")
            path = unquote_to_bytes(raw_path).decode("utf-8", "surrogateescape") if raw_path else scope["path"]
            refusal = _refusal(path, scope.get("query_string", b""))
            if refusal is not None:
                status, detail = refusal
                response = problem_response(status, detail, instance=scope["path"][:200].encode(
                    "ascii", "backslashreplace").decode())
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


# Shared, bounded parameter types -------------------------------------------------------------------------

#: one page of a list
Limit = Annotated[int, Query(ge=1, le=500, description="page size (1-500)")]
#: free text typed by a person (search boxes)
Text = Annotated[str | None, Query(min_length=1, max_length=200)]
#: an identifier in a query (shop id, SKU, …)
Ident = Annotated[str | None, Query(min_length=1, max_length=128)]
#: an identifier in a path
PathIdent = Annotated[str, Path(min_length=1, max_length=128)]
#: a list's ``cursor``: the ``next_cursor`` its previous page answered (opaque, bounded)
Cursor = Annotated[str | None, Query(max_length=400, description="next_cursor of the previous page")]
