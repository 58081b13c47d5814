"""The ``platform`` parameter of API routes: a registered marketplace name (built-in or plug-in).

Its form is bounded in the OpenAPI schema (``PlatformParam``: lower-case letters, digits, ``_``);
``checked_platform`` refuses a well-formed name no adapter is registered under with a 422 that lists
the known ones (``platform_adapters.registry.known_platforms``).
"""
from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Path, Query

from platform_adapters.canonical import Platform
from platform_adapters.registry import UnknownPlatform, require_platform

PATTERN = Platform.NAME.pattern
PlatformParam = Annotated[str | None, Query(pattern=PATTERN, max_length=32, description="a registered marketplace")]
PlatformPath = Annotated[str, Path(pattern=PATTERN, max_length=32, description="a registered marketplace")]


def checked_platform(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return require_platform(value)
    except UnknownPlatform as exc:
        raise HTTPException(422, str(exc)) from exc
