"""Read-side of matching for the CLI, API and exports: title positions, link chains, open quantities, timelines
(match exceptions are read through the exceptions queue, ``aggregator.exceptions_queue.queries``)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from aggregator.matching_service.loader import load_input
from aggregator.matching_service.service import load_previous
from aggregator.store.db import session_scope
from aggregator.store.models.marketplace import SettlementLineRow
from aggregator.store.models.matching import LotValueRow, TitleEventRow
from matching.chains import build_chains
from matching.engine import prepare_input
from matching.open_quantities import open_documents, open_lots
from matching.timeline import order_timeline
from matching.title.events import LEDGER_COLUMNS
from matching.title.position import title_position


def _owned(query, column, owner_id):
    return query if owner_id is None else query.where(column == owner_id)


def load_ledger(session, owner_id: str | None = None) -> tuple[pd.DataFrame, dict[str, tuple[Decimal, str]]]:
    """The title ledger (unretracted events, ``LEDGER_COLUMNS`` + ``seq``) and the lots' unit values."""
    columns = [*LEDGER_COLUMNS, "seq"]
    rows = session.execute(_owned(select(*[getattr(TitleEventRow, c) for c in columns]).where(
        TitleEventRow.retracted_at.is_(None)), TitleEventRow.owner_id, owner_id)).all()
    values = {k: (Decimal(v), c) for k, v, c in session.execute(_owned(
        select(LotValueRow.lot_key, LotValueRow.unit_value, LotValueRow.currency), LotValueRow.owner_id,
        owner_id)).all()}
    return pd.DataFrame(rows, columns=columns), values


def position_at(engine: Engine, at, owner_id: str | None = None) -> pd.DataFrame:
    """Quantity and value by owner x title holder x title state x location at ``at`` (aware)."""
    with session_scope(engine) as session:
        ledger, values = load_ledger(session, owner_id)
    return title_position(ledger, at, owner_id=owner_id, unit_values=values)


def valued_positions(session: Session, instants: list, owner_id: str | None = None, *,
                     detail: bool = False) -> list[pd.DataFrame]:
    """The title position per owner and stage at each of ``instants`` (aware), read once: each lot at its
    cost, in its owner's base currency at the rates of the instant's date (the last published within the
    converter's maximum age), with the rate path of every conversion (``valuation.value_position``)."""
    from aggregator.fx_service.rates import load_rate_book
    from aggregator.matching_service.valuation import value_position
    from aggregator.store.models.tenancy import OwnerRow
    from fx.convert import ConversionPolicy, Converter

    policy = ConversionPolicy(allow_fallback=True)
    days = [pd.Timestamp(at).tz_convert("UTC").date() for at in instants]
    if not days:
        return []
    bases = dict(session.execute(_owned(select(OwnerRow.owner_id, OwnerRow.base_currency), OwnerRow.owner_id,
                                        owner_id)).all())
    converter = Converter(load_rate_book(session, since=min(days) - timedelta(days=policy.max_age_days),
                                         until=max(days)), policy)
    ledger, values = load_ledger(session, owner_id)
    return [value_position(title_position(ledger, at, owner_id=owner_id, unit_values=values), bases, converter, day,
                           detail=detail) for at, day in zip(instants, days)]


def valued_position_at(engine: Engine, at, owner_id: str | None = None, *, detail: bool = False) -> pd.DataFrame:
    """``valued_positions`` at one instant."""
    with session_scope(engine) as session:
        return valued_positions(session, [at], owner_id, detail=detail)[0]


def link_chains(engine: Engine, owner_id: str | None = None) -> pd.DataFrame:
    """One row per (order line, lot) with the whole chain (``matching.chains.CHAIN_COLUMNS``)."""
    with session_scope(engine) as session:
        prepared = prepare_input(load_input(session, owner_id))
        links = load_previous(session, owner_id).links
    return build_chains(links, prepared)


def open_quantities(engine: Engine, what: str, owner_id: str | None = None) -> pd.DataFrame:
    """``lots`` or ``documents`` with their open quantities (``matching.open_quantities``)."""
    with session_scope(engine) as session:
        prepared = prepare_input(load_input(session, owner_id))
        links = load_previous(session, owner_id).links
    return open_lots(prepared, links) if what == "lots" else open_documents(prepared, links)


def timeline(engine: Engine, *, platform: str, shop_id: str, order_id: str,
             owner_id: str | None = None) -> pd.DataFrame:
    """The order's timeline; ``owner_id`` limits what is read to that owner's data. ``engine`` may be a
    connection already in a transaction (the reads then join it)."""
    with session_scope(engine) as session:
        prepared = prepare_input(load_input(session, owner_id))
        links = load_previous(session, owner_id).links
        s = SettlementLineRow
        settle = session.execute(_owned(select(s.platform, s.shop_id, s.order_id, s.occurred_at, s.kind, s.amount,
                                               s.currency).where(s.order_id.is_not(None)), s.owner_id,
                                        owner_id)).all()
    settlements = pd.DataFrame(settle, columns=["platform", "shop_id", "order_id", "occurred_at", "kind", "amount",
                                                "currency"])
    return order_timeline(prepared, links, platform=platform, shop_id=shop_id, order_id=order_id,
                          settlements=settlements)
