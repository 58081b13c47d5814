"""Per-row owner attribution: the claims a mapper finds in a row → the owner, or why there is none.

A forwarder's or a 3PL's file covers many brands, so the owner of each row comes from the row:
owner aliases (3PL owner codes per warehouse, legal names, registration numbers per country), the
registered shop (platform, shop id), or the stored record the row refers to (receipt, transport
document, customs entry, or the house documents of a master). Every claim with a value is looked
up; the row's owner is the one owner every claim naming any names (``common_owners``): a claim naming one
owner says whose the row is, a claim naming several (a record stored once per owner, as a consolidation's
master bill is) only narrows it to those. No owner → rejected, with the column, the value and the command
that would fix it; claims naming no owner in common → rejected as a conflict; claims that leave several
owners (only records shared by them named) → rejected as ambiguous. Nothing is guessed and nothing is
stored under a made-up owner.

``--owner`` (``override``) attributes every row to that (existing) owner without looking.

Aliases and shops are read once per import (a few thousand rows at most); lookups of stored records
are indexed queries, cached per value for the file, a chunk's values read together (``look_up``: one query
per kind of record and ``LOOK_UP_BATCH`` values, rather than one a value). ``resolve_known`` answers only from
what is held in memory (never the session): the columnar import attributes a chunk's rows with it while the chunk
before is being stored on another thread, having read the records the chunk names through a connection of their
own (``look_up_beside``) when none is in a table the import writes (a stock snapshot's receipts, documents and
declarations). ``owners_named`` answers, by the same rules, the claims of many cells of a kind at once, given as
(value, scope) pairs rather than claim objects (a stock file read column by column names thousands of receipts a
chunk).
"""
from __future__ import annotations

import json
import shlex
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ARRAY, Engine, String, any_, exc, func, literal, null, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from platform_adapters.canonical.owner_names import ALIAS_KINDS, normalise, normalise_scope
from aggregator.store.models.logistics import CustomsEntryRow, TransportContainerRow, TransportDocumentRow
from aggregator.store.models.tenancy import OwnerAliasRow, ShopRow
from aggregator.store.models.warehouse import WarehouseReceiptRow
from aggregator.tenancy import require_owner
from platform_adapters.canonical.identifiers import normalize_document_number
from platform_adapters.canonical.tenancy import OwnerClaim
from platform_adapters.registry import known_platforms

_CACHE_LIMIT = 100_000
#: How a person names each alias kind on the command line.
CLI_KIND = {"owner_code": "owner-code", "legal_name": "legal-name", "registration_no": "registration-no"}


#: the claim kinds answered by a stored record's owner, and those whose value is a document number (compared
#: in its normalised form, as stored)
_STORED = ("receipt", "document", "customs_entry", "booking", "container", "houses_of")
_NORMALISED = ("document", "customs_entry", "houses_of")
#: values looked up in one query (``OwnerResolver.look_up``), by how the query is given them (``_values_form``): on
#: PostgreSQL one array (``= ANY``: a 3,500-value look-up of receipts 8.6-12.6 ms against 37-49 ms in seven ``IN``
#: lists of 500, the server parsing one value rather than a statement of 500), on SQLite one JSON text read by
#: ``json_each`` (one statement text, prepared once, and one bound value: a stock file's look-ups 0.16 -> 0.09 s of
#: CPU an import of 50k rows against ``IN`` lists of 500), or, where SQLite was built without its JSON functions,
#: ``IN`` lists of as many bound values
LOOK_UP_BATCH = {"array": 10_000, "json": 10_000, "list": 500}


#: no owner (a claim without a value, a record not stored)
_NONE: frozenset[str] = frozenset()


def common_owners(owner_sets: Iterable[frozenset[str]]) -> frozenset[str] | None:
    """The owners a row's claims leave, given the owners each claim names: those every claim naming any names
    (a claim naming one owner says whose the row is; one naming several, a record stored once for each of them,
    only narrows it to those). One owner: the row's; several: it cannot be told whose (only shared records
    named); none: the claims disagree (a conflict). None when no claim names an owner. The one rule of both the
    per-row ``OwnerResolver.resolve`` and the column-wise attribution (``owners_named``' sets)."""
    together = None
    for owners in owner_sets:
        if owners:
            together = owners if together is None else together & owners
    return together


def _record_key(claim: OwnerClaim) -> tuple[str, str, str]:
    """The key ``OwnerResolver`` holds the owners of the stored records ``claim`` names under: (kind, value,
    scope), a master's houses by its number alone (as ``_resolve`` reads them)."""
    return claim.via, claim.value, "" if claim.via == "houses_of" else claim.scope


@cache
def _json_functions(dbapi: Any) -> bool:
    """Whether the SQLite that the driver module ``dbapi`` (``sqlite3``, or a build of its own) links has its JSON
    functions (built in from 3.38; an option before)."""
    with closing(dbapi.connect(":memory:")) as connection:
        try:
            connection.execute("SELECT value FROM json_each('[]')")
        except dbapi.OperationalError:
            return False
    return True


def _values_form(dialect: Dialect) -> str:
    """How a look-up's query is given its values on ``dialect`` (``LOOK_UP_BATCH``): ``IN`` lists on a database
    other than PostgreSQL and SQLite."""
    if dialect.name == "postgresql":
        return "array"
    return "json" if dialect.name == "sqlite" and _json_functions(dialect.dbapi) else "list"


def _stored_query(via: str, values: list[str], form: str) -> Any:
    """(the stored value a claim of kind ``via`` is compared with, the receipt's warehouse or NULL, the owner) of
    the stored records that ``values`` name (document numbers normalised already), given in ``form``
    (``LOOK_UP_BATCH``): one array, one JSON text, or a list of bound values."""
    def named(column: Any) -> Any:
        if form == "array":
            return column == any_(literal(values, ARRAY(String)))
        if form == "json":
            return column.in_(select(func.json_each(literal(json.dumps(values, ensure_ascii=False)))
                                         .table_valued("value").c.value))
        return column.in_(values)

    if via == "receipt":
        return select(WarehouseReceiptRow.asn_no, WarehouseReceiptRow.warehouse_code,
                      WarehouseReceiptRow.owner_id).where(named(WarehouseReceiptRow.asn_no))
    if via == "container":
        return select(TransportContainerRow.container_no, null(), TransportDocumentRow.owner_id).select_from(
            TransportDocumentRow).join(TransportContainerRow, TransportContainerRow.document_pk == TransportDocumentRow.id
                                       ).where(named(TransportContainerRow.container_no))
    column, owner = {"document": (TransportDocumentRow.doc_number, TransportDocumentRow.owner_id),
                     "customs_entry": (CustomsEntryRow.declaration_no, CustomsEntryRow.owner_id),
                     "booking": (TransportDocumentRow.booking_ref, TransportDocumentRow.owner_id),
                     "houses_of": (TransportDocumentRow.master_doc_number, TransportDocumentRow.owner_id)}[via]
    return select(column, null(), owner).where(named(column))


@cache
def _tables(via: str) -> frozenset[str]:
    """The tables a claim of kind ``via`` is answered from: those of the columns ``_stored_query`` reads."""
    query = _stored_query(via, [], "list")
    return frozenset(column.table.name for column in query.selected_columns
                     if getattr(column, "table", None) is not None)  # (not the receipt's NULL warehouse)


@dataclass(frozen=True)
class Attribution:
    """The owners a row belongs to (one, or several for a master shared by several owners' houses),
    or the reason there is none (``column``/``value`` point at the cell to fix). ``deferred``: only
    the file's own later rows can tell (a master whose houses come later)."""

    owners: tuple[str, ...] = ()
    code: str = ""
    reason: str = ""
    column: str | None = None
    value: str | None = None
    deferred: bool = False


def _label(column: str) -> str:
    return column.replace("_", " ")


def _names(owners: Iterable[str]) -> str:
    """``'A'``, ``'A' and 'B'``, ``'A', 'B' and 'C'``."""
    quoted = [repr(owner) for owner in sorted(owners)]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def _undecided(naming: list[tuple[OwnerClaim, frozenset[str]]], together: frozenset[str]) -> Attribution:
    """Why claims ``naming`` owners (each claim and whom it names) name no one owner: they leave ``together``
    (``common_owners``), none (a conflict) or several (ambiguous). Each set of owners is said once, by the first
    claim naming it; the cell pointed at is the first claim's."""
    said_by: dict[frozenset[str], OwnerClaim] = {}
    for claim, owners in naming:
        said_by.setdefault(owners, claim)
    said = "; ".join(f"{_label(claim.column)} {claim.value!r} names {_names(owners)}"
                     for owners, claim in sorted(said_by.items(), key=lambda item: sorted(item[0])))
    first = naming[0][0]
    if together:
        return Attribution(code="owner_ambiguous", column=first.column, value=first.value,
                           reason=f"whose row it is cannot be told: {said} (a record each of them holds), and "
                                  "nothing in the row names one of them alone; fill a column naming the owner "
                                  "(owner code) or import the file with --owner")
    named = frozenset().union(*said_by)
    count = {2: "two", 3: "three", 4: "four"}.get(len(named), str(len(named)))
    shared = any(len(owners) > 1 for owners in said_by)
    return Attribution(code="owner_conflict", column=first.column, value=first.value,
                       reason=f"the row names {count} owners: {said}"
                              + ("; no owner is named by all of them" if shared else ""))


class OwnerResolver:
    """Resolves ``OwnerClaim``s within one session (one import)."""

    def __init__(self, session: Session, override: str | None = None) -> None:
        self.session = session
        self.override = override
        #: how a look-up is given its values on the session's database, and so how many at once (``_values_form``)
        self._form = _values_form(session.get_bind().dialect)
        #: whether ``look_up_beside`` found no connection to spare once (the session reads from then on)
        self._no_spare = False
        self._cache: dict[tuple, Attribution] = {}
        #: the owners of each stored record looked up, by ``_record_key`` (equal sets one object: ``_look_up``)
        self._records: dict[tuple[str, str, str], frozenset[str]] = {}
        self._aliases: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        self._shops: dict[tuple[str, str], str] = {}
        if override is not None:
            require_owner(session, override)
            return
        for kind, scope, normalized, owner in session.execute(
                select(OwnerAliasRow.kind, OwnerAliasRow.scope, OwnerAliasRow.normalized, OwnerAliasRow.owner_id)):
            self._aliases[(kind, normalized)].append((scope, owner))
        for platform, shop_id, owner in session.execute(select(ShopRow.platform, ShopRow.shop_id, ShopRow.owner_id)):
            self._shops[(platform, shop_id)] = owner

    # -- one claim ---------------------------------------------------------------------------------

    def _alias_owners(self, via: str, value: str, scope: str) -> frozenset[str]:
        """Owners of the alias of kind ``via`` that ``value`` is, in ``scope`` (or registered for any scope)."""
        scope = normalise_scope(via, scope)
        entries = self._aliases.get((via, normalise(via, value)), ())
        return frozenset(owner for alias_scope, owner in entries if not alias_scope or alias_scope == scope)

    def _stored_owners(self, via: str, value: str, scope: str) -> frozenset[str]:
        """Owners of the stored receipt / document / customs entry / houses of a master named ``value``."""
        key = (via, value, scope)
        if key not in self._records:
            if len(self._records) >= _CACHE_LIMIT:
                self._records.clear()
            self._look_up([key], self.session.execute)
        return self._records[key]

    def look_up(self, claim_sets: Iterable[tuple[OwnerClaim, ...]], *, final: bool = True) -> None:
        """Read at once the owners of the stored records that ``claim_sets`` (each a row's claims) name and that
        were not looked up yet (a query per kind of record and ``LOOK_UP_BATCH`` values): ``resolve`` of those
        claims then reads nothing more. With ``final=False`` a master's houses are not looked up (``resolve``
        defers its row instead)."""
        self._look_up(self._unheld(self._keys(claim_sets, final)), self.session.execute)

    def look_up_beside(self, claim_sets: Iterable[tuple[OwnerClaim, ...]], engine: Engine,
                       written: Iterable[str]) -> bool:
        """``look_up(claim_sets, final=False)`` through a connection of its own from ``engine``, not the session
        (whose connection stores the chunk before on another thread meanwhile), when none of the records to read
        is in a table of ``written`` (the tables of the records the import stores: one it stored in the chunk
        being stored is seen by the session only) and the pool has a connection to spare (once it had none, it
        is not asked again); False, nothing read, otherwise (the session reads them once the chunk before is
        stored). The records read are committed ones, as the session sees them: the import writes none of their
        tables."""
        return self._read_beside(self._unheld(self._keys(claim_sets, False)), engine, written)

    def _read_beside(self, missing: list[tuple[str, str, str]], engine: Engine, written: Iterable[str]) -> bool:
        """``look_up_beside`` of the keys ``missing`` (``_unheld``)."""
        if not missing:
            return True
        if self._no_spare or any(_tables(via) & set(written) for via in {via for via, _, _ in missing}):
            return False
        try:
            connection = engine.connect()
        except exc.TimeoutError:  # (every pooled connection in use, after the pool's wait: not waited for again)
            self._no_spare = True
            return False
        with connection:  # (a short read: its transaction ends as it goes back to the pool)
            self._look_up(missing, connection.execute)
        return True

    @staticmethod
    def _keys(claim_sets: Iterable[tuple[OwnerClaim, ...]], final: bool) -> set[tuple[str, str, str]]:
        """The keys (``_record_key``) of the stored records ``claim_sets`` name (a master's houses only when
        ``final``)."""
        return {_record_key(claim) for claims in claim_sets for claim in claims
                if claim.value and claim.via in _STORED and (final or claim.via != "houses_of")}

    def _unheld(self, keys: set[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
        """Those of ``keys`` not held yet (all of them when holding them too would outgrow the cache, emptied
        then)."""
        missing = [key for key in keys if key not in self._records]
        if missing and len(self._records) + len(missing) > _CACHE_LIMIT:  # (room made: all of these read again)
            self._records.clear()
            missing = list(keys)
        return missing

    def knows(self, claim: OwnerClaim) -> bool:
        """Whether the owners ``claim`` names are held in memory (an alias, a shop, a stored record looked up
        before, or no value): ``owners_named(known=True)`` answers them."""
        return (not claim.value or claim.via in ALIAS_KINDS or claim.via == "shop"
                or _record_key(claim) in self._records)

    def owners_named(self, named: Sequence[tuple[str, Sequence[tuple[str, str]]]], *, known: bool = False,
                     beside: tuple[Engine, Iterable[str]] | None = None) -> list[list[frozenset[str]]] | None:
        """For each (kind of claim, the (value, scope) of claims of that kind) of ``named``: the owners each of those
        claims names, as ``resolve`` counts them (a claim without a value names none; a row's owner is then the one
        ``common_owners`` of its claims' sets leaves, as ``resolve`` finds it), found without a claim
        object per value (a stock file's columns name thousands of receipts a chunk). The stored records they
        name are read first: through the session, or with ``beside`` (an engine and the tables the import
        writes) by ``look_up_beside`` (None when it would not read them), or with ``known`` not read (None when
        one was not looked up yet). None for a master's houses (``resolve`` decides those rows)."""
        keys: set[tuple[str, str, str]] = set()
        for via, pairs in named:
            if via == "houses_of":
                if any(value for value, _ in pairs):
                    return None
            elif via in _STORED:
                keys.update((via, value, scope) for value, scope in pairs if value)
        if beside is not None:
            if not self._read_beside(self._unheld(keys), *beside):
                return None
        elif known:
            if not keys <= self._records.keys():
                return None
        else:
            self._look_up(self._unheld(keys), self.session.execute)
        records = self._records  # (every key held now)
        return [[records[(via, value, scope)] if value else _NONE for value, scope in pairs] if via in _STORED
                else [self._value_owners(via, value, scope) if value else _NONE for value, scope in pairs]
                for via, pairs in named]

    def _look_up(self, keys: list[tuple[str, str, str]], execute: Callable[[Any], Any]) -> None:
        """The owners of the stored records ``keys`` name ((via, value, scope) each), read by ``execute`` (the
        session's, or a connection's) and held."""
        by_via: dict[str, dict[str, list[tuple[str, str]]]] = defaultdict(dict)
        for via, value, scope in keys:
            matched = normalize_document_number(value) if via in _NORMALISED else value
            by_via[via].setdefault(matched, []).append((value, scope))
        found: dict[tuple[str, str, str], set[str]] = {}  # (the keys naming a stored record)
        form = self._form
        batch = LOOK_UP_BATCH[form]
        for via, named in by_via.items():
            values = list(named)
            for at in range(0, len(values), batch):
                query = _stored_query(via, values[at:at + batch], form).distinct()
                for matched, warehouse, owner in execute(query):
                    for value, scope in named.get(matched, ()):
                        if not scope or via != "receipt" or warehouse == scope:  # (a receipt: in that warehouse)
                            found.setdefault((via, value, scope), set()).add(owner)
        records = self._records
        records.update(dict.fromkeys(keys, _NONE))
        interned: dict[frozenset[str], frozenset[str]] = {}  # (one object per set of owners: hashed once)
        for key, owners in found.items():
            owners = frozenset(owners)
            records[key] = interned.setdefault(owners, owners)

    def _value_owners(self, via: str, value: str, scope: str) -> frozenset[str]:
        """The owners a claim of kind ``via`` with ``value`` (not empty) and ``scope`` names."""
        if via in ALIAS_KINDS:
            return self._alias_owners(via, value, scope)
        if via == "shop":
            owner = self._shops.get((scope, value))
            return frozenset((owner,)) if owner else _NONE
        return self._stored_owners(via, value, "" if via == "houses_of" else scope)

    def _owners_of(self, claim: OwnerClaim) -> frozenset[str]:
        return self._value_owners(claim.via, claim.value, claim.scope)

    # -- a row -------------------------------------------------------------------------------------

    def resolve(self, claims: tuple[OwnerClaim, ...], *, final: bool = True, every: bool = False) -> Attribution:
        """The row's owner from its ``claims``. ``final=False`` (first pass over a file): a master
        that names no owner is ``deferred`` until the file's house documents are stored.
        ``every``: the row belongs to every owner its claims name (a carrier's event about a
        container or booking several owners share), instead of two owners being a conflict."""
        if self.override is not None:
            return Attribution((self.override,))
        key = (claims, final, every)
        found = self._cache.get(key)
        if found is None:
            found = self._resolve(claims, final, every)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = found
        return found

    def resolve_known(self, claims: tuple[OwnerClaim, ...], *, final: bool = True) -> Attribution | None:
        """``resolve(claims, final=final)`` when it needs no read of the database: the owner given, an
        answer already found, or claims that only aliases, shops and stored records looked up before name
        (all held in memory); None when a claim names a stored record not looked up yet. It never touches the
        session, so the import maps a chunk's rows ahead with it while the chunk before is being stored."""
        if self.override is not None:
            return Attribution((self.override,))
        found = self._cache.get((claims, final, False))
        if found is not None:
            return found
        for claim in claims:
            if claim.via == "houses_of":  # (read only for the second pass)
                if final and not self.knows(claim):
                    return None
            elif not self.knows(claim):
                return None
        return self.resolve(claims, final=final)

    def _resolve(self, claims: tuple[OwnerClaim, ...], final: bool, every: bool) -> Attribution:
        naming: list[tuple[OwnerClaim, frozenset[str]]] = []  # (the claims naming an owner, and whom)
        houses = None
        for claim in claims:
            if not claim.value:
                continue
            if claim.via == "houses_of":
                houses = claim
                continue
            owners = self._owners_of(claim)
            if owners:
                naming.append((claim, owners))
        if naming:
            if every:
                return Attribution(tuple(sorted(frozenset().union(*(owners for _, owners in naming)))))
            together = common_owners(owners for _, owners in naming)
            if len(together) == 1:
                return Attribution(tuple(together))
            return _undecided(naming, together)
        if houses is not None:
            if not final:
                return Attribution(deferred=True)
            owners = self._stored_owners("houses_of", houses.value, "")
            if owners:
                return Attribution(tuple(sorted(owners)))
        return self._unattributed(claims, houses)

    def _unattributed(self, claims: tuple[OwnerClaim, ...], houses: OwnerClaim | None) -> Attribution:
        given = [c for c in claims if c.value and c.via != "houses_of"]
        if not given:
            columns = ", ".join(dict.fromkeys(c.column for c in claims if c.via != "houses_of"))
            first = next((c.column for c in claims if c.via != "houses_of"), None)
            return Attribution(code="owner_unknown", column=first, value="",
                               reason=f"no owner: {columns} {'is' if ',' not in columns else 'are'} empty"
                                      + (" and no house document names this master" if houses else "")
                                      + "; fill the column or import the file with --owner")
        parts = [self._why_not(c) for c in given]
        if houses is not None:
            parts.append(f"no house document names master {houses.value!r}")
        first = given[0]
        return Attribution(code="owner_unknown", reason="; ".join(parts), column=first.column, value=first.value)

    def _why_not(self, claim: OwnerClaim) -> str:
        label, value = _label(claim.column), claim.value
        if claim.via in ALIAS_KINDS:
            scope = f" --scope {shlex.quote(claim.scope)}" if claim.scope and claim.via != "legal_name" else ""
            where = f" at {claim.scope}" if claim.scope and claim.via == "owner_code" else ""
            return (f"no owner alias for {label} {value!r}{where}; add one with `aggregator owners alias add OWNER "
                    f"--kind {CLI_KIND[claim.via]} --value {shlex.quote(value)}{scope}`")
        if claim.via == "shop":
            if not claim.scope:  # (as ``outbound`` refuses a row naming a shop without its platform)
                return (f"{label} {value!r} without its platform: which marketplace's shop it is cannot be told; "
                        "fill the platform")
            known = known_platforms()
            if claim.scope not in known:
                return (f"no registered shop {claim.scope}/{value}: {claim.scope!r} is not a registered marketplace "
                        f"(known: {', '.join(known)}); correct the platform")
            return (f"no registered shop {claim.scope}/{value}; register it with `aggregator shops add --platform "
                    f"{claim.scope} --shop-id {shlex.quote(value)} --owner OWNER …`")
        what = {"receipt": "receipt (ASN)", "document": "transport document", "customs_entry": "customs entry",
                "booking": "transport document with booking", "container": "transport document with container"}[
            claim.via]
        where = f" at {claim.scope}" if claim.scope else ""
        return f"no stored {what} {value!r}{where} (import that file first)"
