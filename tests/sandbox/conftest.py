"""Fixtures for the sandbox tests: one in-process sandbox per module, and its shop list."""
from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from platform_adapters.sandbox import RunningSandbox, running_sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(seed=7, orders=300) as sb:
        yield sb


@pytest.fixture(scope="module")
def control(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def shops(control: httpx.Client) -> dict:
    return control.get("/_sandbox/shops").json()

