"""Owner aliases: add, list, remove (``aggregator owners alias …``).

A value names at most one owner wherever it applies: adding ``LMN`` as an owner code for owner B
is refused when it already names owner A in the same scope, or when either of the two is unscoped
(applies to every warehouse / country). Adding an alias an owner already has is a no-op. Every
change is written to the audit log.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from platform_adapters.canonical.owner_names import ALIAS_KINDS, normalise, normalise_scope
from aggregator.store.models.tenancy import OwnerAliasRow
from aggregator.store.upsert import write_audit
from aggregator.tenancy import TenancyError, require_owner

MAX_VALUE_CHARS = 255
MAX_SCOPE_CHARS = 64
#: What the scope of each kind is (for messages and ``--help``).
SCOPE_MEANING = {"owner_code": "warehouse code", "legal_name": None, "registration_no": "country"}


class AliasConflict(TenancyError):
    """The value already names another owner where the new alias would apply."""


@dataclass(frozen=True)
class AliasAdded:
    row: OwnerAliasRow
    created: bool  # False: the owner already had this alias


def _check(kind: str, value: str, scope: str | None) -> tuple[str, str]:
    if kind not in ALIAS_KINDS:
        raise TenancyError(f"unknown alias kind {kind!r}; kinds are {', '.join(ALIAS_KINDS)}")
    normalized = normalise(kind, value)
    if not normalized:
        raise TenancyError(f"the {kind} value {value!r} is empty once normalised")
    if len(value) > MAX_VALUE_CHARS:
        raise TenancyError(f"alias values are at most {MAX_VALUE_CHARS} characters")
    if scope and SCOPE_MEANING[kind] is None:
        raise TenancyError(f"a {kind} alias has no scope (it names the owner in every file)")
    scope_key = normalise_scope(kind, scope)
    if len(scope_key) > MAX_SCOPE_CHARS:
        raise TenancyError(f"scopes are at most {MAX_SCOPE_CHARS} characters")
    return normalized, scope_key


def _overlapping(session: Session, kind: str, normalized: str, scope_key: str) -> list[OwnerAliasRow]:
    """Aliases of the same kind and value whose scope overlaps ``scope_key`` ("" overlaps every scope)."""
    query = select(OwnerAliasRow).where(OwnerAliasRow.kind == kind, OwnerAliasRow.normalized == normalized)
    if scope_key:
        query = query.where(or_(OwnerAliasRow.scope == scope_key, OwnerAliasRow.scope == ""))
    return list(session.scalars(query.order_by(OwnerAliasRow.id)))


def _where(row: OwnerAliasRow) -> str:
    return f" at {SCOPE_MEANING[row.kind]} {row.scope}" if row.scope else ""


def add_alias(session: Session, owner_id: str, kind: str, value: str, scope: str | None = None,
              *, actor: str = "cli") -> AliasAdded:
    """Register ``value`` as naming ``owner_id``; raises ``UnknownOwner``, ``AliasConflict`` or ``TenancyError``."""
    require_owner(session, owner_id)
    value = value.strip()
    normalized, scope_key = _check(kind, value, scope)
    overlapping = _overlapping(session, kind, normalized, scope_key)
    others = [row for row in overlapping if row.owner_id != owner_id]
    if others:
        other = others[0]
        raise AliasConflict(
            f"{kind} {value!r}{' at ' + SCOPE_MEANING[kind] + ' ' + scope_key if scope_key else ''} would name two "
            f"owners: it already names {other.owner_id!r} (as {other.value!r}{_where(other)}); remove that alias "
            f"first (aggregator owners alias remove {other.owner_id} --kind {kind} --value {other.value!r}"
            f"{' --scope ' + other.scope if other.scope else ''})")
    same = next((row for row in overlapping if row.scope == scope_key), None)
    if same is not None:
        return AliasAdded(same, created=False)
    row = OwnerAliasRow(owner_id=owner_id, kind=kind, scope=scope_key, value=value, normalized=normalized,
                        created_by=actor)
    session.add(row)
    session.flush()
    write_audit(session, entity="owner_aliases", key=f"{kind}|{scope_key}|{normalized}", action="create",
                owner_id=owner_id, changes={"kind": kind, "value": value, "scope": scope_key}, actor=actor)
    return AliasAdded(row, created=True)


def list_aliases(session: Session, owner_id: str | None = None, kind: str | None = None) -> list[OwnerAliasRow]:
    """Aliases (of one owner, of one kind), by owner, kind, scope and value."""
    query = select(OwnerAliasRow)
    if owner_id is not None:
        require_owner(session, owner_id)
        query = query.where(OwnerAliasRow.owner_id == owner_id)
    if kind is not None:
        if kind not in ALIAS_KINDS:
            raise TenancyError(f"unknown alias kind {kind!r}; kinds are {', '.join(ALIAS_KINDS)}")
        query = query.where(OwnerAliasRow.kind == kind)
    return list(session.scalars(query.order_by(OwnerAliasRow.owner_id, OwnerAliasRow.kind, OwnerAliasRow.scope,
                                               OwnerAliasRow.normalized)))


def remove_alias(session: Session, owner_id: str, kind: str, value: str, scope: str | None = None,
                 *, actor: str = "cli") -> OwnerAliasRow:
    """Remove the owner's alias; raises ``TenancyError`` when the owner has no such alias."""
    require_owner(session, owner_id)
    normalized, scope_key = _check(kind, value.strip(), scope)
    row = session.scalars(select(OwnerAliasRow).where(
        OwnerAliasRow.owner_id == owner_id, OwnerAliasRow.kind == kind, OwnerAliasRow.scope == scope_key,
        OwnerAliasRow.normalized == normalized)).first()
    if row is None:
        where = f" at {SCOPE_MEANING[kind]} {scope_key}" if scope_key else ""
        raise TenancyError(f"owner {owner_id!r} has no {kind} alias {value!r}{where} "
                           f"(see: aggregator owners alias list --owner {owner_id})")
    session.delete(row)
    write_audit(session, entity="owner_aliases", key=f"{kind}|{scope_key}|{normalized}", action="delete",
                owner_id=owner_id, changes={"kind": kind, "value": row.value, "scope": scope_key}, actor=actor)
    return row
