"""ETags on detail answers: the digest of the body as sent. A client that presents it in
``If-None-Match`` gets ``304 Not Modified`` and no body (RFC 9110 sections 8.8.3 and 13.1.2)."""
from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel
from starlette.responses import Response

#: authorised answers: caches may keep them for this client only and must revalidate each time
CACHE_CONTROL = "private, no-cache"


def tagged(request: Request, payload: Any) -> Response:
    """``payload`` (a pydantic model or plain data) as JSON with a strong ETag, or a 304 when the client
    already holds this exact body."""
    if isinstance(payload, BaseModel):  # serialised by pydantic's core: the same JSON, without a Python walk
        body = payload.model_dump_json().encode()
    else:
        body = json.dumps(jsonable_encoder(payload), ensure_ascii=False, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    presented = request.headers.get("if-none-match", "")
    if presented and (presented.strip() == "*" or etag in [t.strip().removeprefix("W/") for t in presented.split(",")]):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
