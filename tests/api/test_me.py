"""GET /api/v1/me: what the web app signs in with — the key's role, permissions, bound owner, expiry."""
from __future__ import annotations

from aggregator.api.keys import create_key
from aggregator.store.db import session_scope
from tests.api.conftest import OPERATOR_KEY, World


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_me_names_role_permissions_owner_and_expiry(world: World, engine) -> None:
    viewer = world.client.get("/api/v1/me", headers=auth(world.key_a)).json()
    assert viewer["role"] == "owner-viewer" and viewer["permissions"] == ["read", "read_money"]
    assert viewer["bound_owner_id"] == viewer["owner_id"] == "BRAND-A" and viewer["base_currency"] == "CNY"
    assert viewer["key_id"] and viewer["expires_at"]
    with session_scope(engine) as session:
        ops = create_key(session, role="operations", name="night shift")[1]
    staff = world.client.get("/api/v1/me", headers=auth(ops)).json()
    assert staff["role"] == "operations" and staff["permissions"] == ["operate", "read"]
    assert staff["bound_owner_id"] is None and staff["owner_id"] is None and staff["key_name"] == "night shift"
    scoped = world.client.get("/api/v1/me?owner=BRAND-B", headers=auth(ops)).json()
    assert scoped["owner_id"] == "BRAND-B" and scoped["bound_owner_id"] is None
    operator = world.client.get("/api/v1/me", headers=auth(OPERATOR_KEY)).json()
    assert operator["role"] == "admin" and operator["key_id"] is None and operator["expires_at"] is None


def test_me_refuses_what_every_route_refuses(world: World) -> None:
    assert world.client.get("/api/v1/me").status_code == 401
    reply = world.client.get("/api/v1/me", headers=auth("agk_nope"))
    assert reply.status_code == 401 and reply.headers["content-type"] == "application/problem+json"
    assert world.client.get("/api/v1/me?owner=BRAND-B", headers=auth(world.key_a)).status_code == 403
    assert world.client.get("/api/v1/me?owner=NOBODY", headers=auth(OPERATOR_KEY)).status_code == 422
