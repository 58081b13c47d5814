"""Orders of a sync page that were pushed while the page was read: left to the push's re-read.

A status push writes the order's new status at once but does not move its source time (the platform's
clock), so a page read before the push arrived passes the upsert's source-time guard and would write the
older status back over the push's. The sync therefore takes ``newest_event`` (the newest webhook event
id stored) before it reads a window, and each batch's write leaves out every order with an order push
stored after it (``pushed_since``: one statement per batch, as costly as the events stored since): such an
order is not written from the page and counts as ``deferred``.

Nothing of the page is lost by that: the push's re-read (``push_apply.drain``) reads the platform after
the push arrived, so after the window's end (the window ends before the run starts), and brings what the
page held or newer; a page state newer than the window's end is read again by the next window (the
cursor stops at the window's end). Every status push gets that re-read; a tracking push written from its
body is closed at once without one, so for an order whose pushes are all closed the sync leaves a
re-read request (``request_rereads``: an event of kind ``REREAD``, which the shop's drain takes like a
push) and the caller drains the shop after the run (``sync.marketplace.sync_shop``; the lost-push
recovery's ``resume_stalled`` otherwise).

On PostgreSQL a push can commit between that look and the batch's write: ``write_batch`` looks again,
after writing, at the orders it updated (a push committing later waits for their row locks, then is
decided on what the sync wrote) and writes the batch again without any order found there. SQLite's
write transaction holds the database's one write lock from its start: the first look is enough.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, bindparam, func, select, text
from sqlalchemy.orm import Session

from aggregator.push_apply import ORDER_KINDS, REREAD
from aggregator.store.db import statement_reads
from aggregator.store.models.tenancy import ShopRow
from aggregator.store.models.webhooks import WebhookEventRow
from aggregator.store.upsert import insert_for

#: Detail of a re-read request left by a sync.
REQUESTED = "re-read requested by sync run #{run}: a push of the order came while its page was read"

_NEWEST = select(func.coalesce(func.max(WebhookEventRow.id), 0))
#: The shop's orders pushed since event ``seen``: the events after it, read from the primary key (the newest
#: few), not the batch's ids (no list of 500 ids to send and match; the statement's text never changes).
#: PostgreSQL's planner takes the primary key range from its statistics; SQLite's would take the shop's index
#: and read every event the shop ever had (no statistics), so its statement says ``NOT INDEXED`` (rowid range
#: only), which SQLAlchemy does not render for SQLite: the same statement, written out.
_PUSHED = (select(WebhookEventRow.order_id).distinct()
           .where(WebhookEventRow.id > bindparam("seen"), WebhookEventRow.platform == bindparam("platform"),
                  WebhookEventRow.shop_id == bindparam("shop_id"), WebhookEventRow.kind.in_(ORDER_KINDS)))
_PUSHED_SQLITE = text("SELECT DISTINCT order_id FROM webhook_events NOT INDEXED WHERE id > :seen AND platform = :platform"
                      " AND shop_id = :shop_id AND kind IN (" + ", ".join(f"'{kind}'" for kind in ORDER_KINDS) + ")")
_WAITING = (select(WebhookEventRow.order_id).distinct()
            .where(WebhookEventRow.platform == bindparam("platform"), WebhookEventRow.shop_id == bindparam("shop_id"),
                   WebhookEventRow.kind.in_(ORDER_KINDS), WebhookEventRow.status == "received",
                   WebhookEventRow.order_id.in_(bindparam("orders", expanding=True))))


def newest_event(engine: Engine) -> int:
    """The newest webhook event id stored now (0: none), read before a window's pages are."""
    with statement_reads(engine).connect() as connection:  # SQLite: a read that takes no write lock
        return connection.execute(_NEWEST).scalar_one()


def pushed_since(session: Session, shop: ShopRow, seen: int, order_ids: Iterable[str]) -> set[str]:
    """The orders of ``order_ids`` with an order push (or re-read request) stored after event ``seen``: one
    statement, whose cost is the number of events stored since ``seen``, not the number of orders asked."""
    statement = _PUSHED_SQLITE if session.get_bind().dialect.name == "sqlite" else _PUSHED
    pushed = set(session.scalars(statement, {"platform": shop.platform, "shop_id": shop.shop_id, "seen": seen}))
    return pushed.intersection(order_ids) if pushed else pushed


def request_rereads(session: Session, shop: ShopRow, order_ids: Iterable[str], run_id: int) -> list[str]:
    """Leave a re-read request for each of ``order_ids`` (left out of a sync page) that has no order push
    still waiting for its re-read; returns those requested. A request is an event of kind ``REREAD``
    (event id ``reread:<run>:<order>``, so a batch written again requests once)."""
    orders = list(dict.fromkeys(order_ids))
    if not orders:
        return []
    waiting = set(session.scalars(_WAITING, {"platform": shop.platform, "shop_id": shop.shop_id, "orders": orders}))
    wanted = [order_id for order_id in orders if order_id not in waiting]
    if wanted:
        session.execute(insert_for(session, WebhookEventRow.__table__)
                        .on_conflict_do_nothing(index_elements=["platform", "event_id"]),
                        [{"platform": shop.platform, "event_id": f"reread:{run_id}:{order_id}",
                          "owner_id": shop.owner_id, "shop_id": shop.shop_id, "kind": REREAD,
                          "order_id": order_id, "status": "received", "detail": REQUESTED.format(run=run_id),
                          "body": ""} for order_id in wanted])
    return wanted
