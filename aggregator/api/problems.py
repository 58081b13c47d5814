"""Errors as RFC 9457 problem details (``application/problem+json``), and their place in the OpenAPI.

Every error the API answers has the same shape: ``type`` (``about:blank`` unless a more specific
problem applies), ``title`` (the status phrase), ``status``, ``detail`` (what was wrong, for a
person) and ``instance`` (the request path); a 422 adds ``errors``, one entry per refused input with
where it was (``loc``) and why (``msg``). An unexpected failure is logged with its traceback and
answered as a plain 500 problem: the body never carries a traceback or an internal message.
RFC 9457: https://www.rfc-editor.org/rfc/rfc9457 (section 3: members; section 4.2.1: about:blank).
"""
from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from aggregator.api.path_ids import shown_path

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"


class ProblemError(BaseModel):
    loc: list[str | int] = Field(description="where the refused input was, e.g. ['query', 'limit']")
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem detail."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[ProblemError] | None = None


def problem_response(status: int, detail: str | None, *, instance: str | None = None,
                     errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None,
                     type_: str = "about:blank") -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "title": _title(status), "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [p if isinstance(p, (str, int)) else str(p) for p in err.get("loc", ())]
        # the offending input is not echoed back (it may be huge or hold control characters)
        out.append({"loc": loc, "msg": str(err.get("msg", "")), "type": str(err.get("type", ""))})
    return jsonable_encoder(out)


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` as problem+json and document 401/403/404/422 on every route."""

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 304:
            return Response(status_code=304, headers=exc.headers)
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(exc.status_code, detail, instance=shown_path(request.url.path), headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = _errors(exc)
        summary = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors[:5])
        return problem_response(422, summary or "invalid request", instance=shown_path(request.url.path), errors=errors)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem_response(500, "the server failed to answer this request; it has been logged",
                                instance=shown_path(request.url.path))

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]


#: what each documented error status means, for the OpenAPI
DOCUMENTED = {
    "400": "Bad request (for example an API key in the query string)",
    "401": "Missing, unknown, expired or revoked API key",
    "403": "The key's role or owner does not allow this",
    "404": "Not found, or not visible to this key's owner",
    "414": "Query string too long",
    "422": "Invalid input: out-of-range number, control character, unknown filter value or reference",
}


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ProblemError, Problem):
        components[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}")
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    ref = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            statuses = ("400", "401", "403", "404", "414", "422") if path.startswith("/api/") else ("422",)
            for status in statuses:
                entry = responses.setdefault(status, {"description": DOCUMENTED[status]})
                entry["content"] = ref
            for status, entry in responses.items():
                if status[0] in "45" and status not in statuses:
                    entry["content"] = ref
    app.openapi_schema = schema
    return schema
