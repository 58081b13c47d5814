"""Identifiers as path segments: a key part may hold '/', sent percent-encoded (``%2F``, as the web app's
``encodeURIComponent`` writes it), and still names its record.

3PL files write ASN numbers, warehouse codes and lot ids as they like (``ASN/2026/7``), and marketplaces send
order and statement ids the API does not reshape. The ASGI server decodes the path before routing, so
``/receipts/A/WH1/ASN%2F2026%2F7`` would reach the router as five segments and match no route (404 "Not
Found" for a record the lookup had just listed). Matching on the path as sent keeps every URL as it is:

* ``EncodedSlashes`` (ASGI middleware, inside ``bounds.InputGuard``): a request under ``/api/`` whose raw path
  holds ``%2F`` has its path re-read from the raw bytes segment by segment, a ``/`` inside a segment written
  as ``SLASH`` (U+001F, a control character: ``InputGuard`` has already refused any path holding one, so it
  stands for nothing else);
* the ``ident`` convertor, which every identifier path parameter declares (``{asn_no:ident}``): one segment,
  its ``SLASH`` given back as ``/``.

The paths the OpenAPI document shows are unchanged (``{asn_no}``). A request without ``%2F`` is not touched.
"""
from __future__ import annotations

from urllib.parse import quote, unquote_to_bytes

from starlette.convertors import Convertor, register_url_convertor
from starlette.types import ASGIApp, Receive, Scope, Send

#: how a '/' inside one segment travels from the middleware to the convertor
SLASH = "\x1f"


class IdentConvertor(Convertor[str]):
    """One path segment, a '/' it held encoded (``%2F``) given back."""

    regex = "[^/]+"

    def convert(self, value: str) -> str:
        return value.replace(SLASH, "/")

    def to_string(self, value: str) -> str:
        return quote(str(value), safe="")


register_url_convertor("ident", IdentConvertor())


def segmented_path(raw_path: bytes) -> str | None:
    """The path of ``raw_path`` decoded segment by segment, a '/' inside a segment as ``SLASH``; None when a
    segment is not UTF-8."""
    try:
        return "/".join(unquote_to_bytes(part).decode("utf-8").replace("/", SLASH) for part in raw_path.split(b"/"))
    except UnicodeDecodeError:
        return None


def shown_path(path: str) -> str:
    """``path`` as sent (a problem's ``instance``): a '/' inside a segment as ``%2F``."""
    return path.replace(SLASH, "%2F")


class EncodedSlashes:
    """ASGI middleware: an ``/api/`` request whose raw path holds ``%2F`` routed on its segments as sent."""

    def __init__(self, app: ASGIApp, prefixes: tuple[str, ...] = ("/api/",)) -> None:
        self.app = app
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path = scope.get("raw_path") if scope["type"] == "http" else None
        if raw_path and b"%2f" in raw_path.lower() and scope["path"].startswith(self.prefixes):
            path = segmented_path(raw_path)
            # the same path but for the slashes (a server that gave another one, e.g. under a root path, is left be)
            if path is not None and path.replace(SLASH, "/") == scope["path"]:
                scope = {**scope, "path": path}
        await self.app(scope, receive, send)
