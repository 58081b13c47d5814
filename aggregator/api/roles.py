"""Roles and what each may do. One table, read by the API's dependencies and by ``aggregator keys``.

* ``admin``: everything, including the keys themselves.
* ``operations``: the chain (orders, documents, lots, receipts, customs, title, runs, shops) and the
  exceptions queue, resolving and retrying; no money (statements, FX, journals).
* ``finance``: the chain read-only and the money: statements, reconciliation, FX, journal downloads.
* ``owner-viewer``: read-only, bound to one owner: everything of that owner and nothing else.

Any role may be bound to one owner (``keys create --owner``); ``owner-viewer`` must be.
"""
from __future__ import annotations

import enum


class Role(str, enum.Enum):
    ADMIN = "admin"
    OPERATIONS = "operations"
    FINANCE = "finance"
    OWNER_VIEWER = "owner-viewer"


class Permission(str, enum.Enum):
    READ = "read"                      # the chain, runs, shops, exceptions, events, audit
    READ_MONEY = "read_money"          # statements, reconciliation, FX, journal downloads
    OPERATE = "operate"                # resolve / retry exceptions, manual links
    MANAGE_KEYS = "manage_keys"        # create / list / revoke keys


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.OPERATIONS: frozenset({Permission.READ, Permission.OPERATE}),
    Role.FINANCE: frozenset({Permission.READ, Permission.READ_MONEY}),
    Role.OWNER_VIEWER: frozenset({Permission.READ, Permission.READ_MONEY}),
}

#: roles that must be bound to one owner
OWNER_BOUND = frozenset({Role.OWNER_VIEWER})


def parse_role(value: str) -> Role:
    """The role named ``value``; an unknown name is refused with the list of known ones."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise ValueError(f"unknown role {value!r}; one of: {', '.join(r.value for r in Role)}") from None


def allows(role: Role, permission: Permission) -> bool:
    return permission in GRANTS[role]
