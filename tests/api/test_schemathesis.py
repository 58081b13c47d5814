"""schemathesis over the whole OpenAPI document, on SQLite and PostgreSQL: no generated input gets a 5xx,
and every answer conforms to the document (status code documented, media type, body schema).

Bounded: ``EXAMPLES`` examples per operation and caller (an owner-viewer, an unbound admin, no key) of inputs that fit the
document, and as many that do not (as the owner-viewer), derandomized, no deadline. The stream route is read in its catch-up form
(``follow=false``): a live stream does not end.
"""
from __future__ import annotations

import pytest
import schemathesis
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)

from aggregator.api.app import create_app
from aggregator.store.vault import Vault
from tests.api.conftest import OPERATOR_KEY, seed

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 10


def test_no_server_errors_and_answers_match_the_document(engine) -> None:
    key_a, _ = seed(engine)
    app = create_app(engine, operator_key=OPERATOR_KEY, vault=Vault(Fernet.generate_key()))
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    failures: list[str] = []
    runs = [(op, key, GenerationMode.POSITIVE) for op in operations for key in (key_a, OPERATOR_KEY, None)]
    runs += [(op, key_a, GenerationMode.NEGATIVE) for op in operations]
    for operation, key, mode in runs:
        try:
            _fuzz(operation, mode, {"Authorization": f"Bearer {key}"} if key else {})
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # nothing in this operation can be made invalid
        except BaseException as exc:  # noqa: BLE001 - schemathesis raises groups; collect, then report
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}, "
                            f"{'key' if key else 'anonymous'}): {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)


def _fuzz(operation, mode: GenerationMode, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case) -> None:
        if case.path == "/api/v1/events":  # a live stream does not end: read its catch-up form
            case.query = {**(case.query or {}), "follow": "false"}
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()
