"""Order pushes applied: what the push itself says at once, then one batched re-read per shop.

A status push (Shopee code 3, a Lazada trade order message, TikTok type 1) names the order's new
status and the time of the change; a tracking-number push (Shopee code 4) names a package and its
number. ``patch_new`` writes that into the stored order, with no call to the platform, in the push's
own transaction before its event is stored (``webhooks.receive`` then inserts the event once with the
outcome: no second write of it; a re-delivery is recognised from the order's stored pushes and
writes nothing); ``patch_in`` / ``patch`` do the same for an event already stored (a push fetched
back later, or one whose write failed in ``receive``). The order's row is locked first on
PostgreSQL (SQLite has one writer), and the order's pushes read after the lock:

* a status, when the push alone determines it (the adapter's ``webhook_order_status``: a Lazada line
  status derives the order's from its stored lines again, a pending buyer cancellation is left to the
  re-read) and the push is not older than what is stored: the order's source time, and every other
  status push of the order stored here (so a late, older push never overwrites a newer push's status,
  in whatever order they are applied). The order's ``content_hash`` is cleared, so the re-read that
  follows compares the row in full; the change is audited and told (``order.status_changed``);
* a tracking number, into the stored package and its lines; the event is then done (the push carries
  all the change there is: no re-read), unless another tracking push of the order names another
  number: a tracking push has no time of change, so the re-read (the platform) decides between them.

An order that is not stored, or a push the adapter cannot read alone, is left to the re-read. A sync
that left an order out of its page because a push closed at once came while the page was read leaves a
``REREAD`` event of the order (``sync.push_deferral``), re-read like a push.

``drain`` then re-reads every order of the shop that has a push still ``received``: up to 50 orders per
read (Shopee get_order_detail with 50 order_sn and get_package_detail with 50 packages, TikTok 50
ids per call, Lazada /order/get per order and /orders/items/get for 50), under the shop's lease
``push:<shop_pk>``, so one worker of all processes drains a shop at a time and the pushes arriving while
it reads wait for its next batch instead of spending calls of their own: the shop's call budget
(the per-shop rate limiter) is spent once per batch, not once per push. Each event gets its order's
outcome (applied, unchanged, stale, failed). An order that got a new order push while it was being
read is left to the next batch (what was read may be older than what that push wrote): on PostgreSQL
the batch's orders are locked before that look, so a push committing meanwhile cannot slip between
the look and the write; what the batch writes is decided before those locks and written under them in
one statement (``aggregator/push_reread.py``): a push of one of its orders waits about one statement,
not the whole write (unless the order was written meanwhile: that one goes the general way). The
first read waits ``GATHER_SECONDS`` (30 ms): the pushes of one change come together (Lazada one per line, Shopee a code 4 per package after the code 3) and are written from
their bodies without queueing behind the re-read's locks, then share its batch. Another kind
of push of the order (a return) re-reads it in its own apply and holds nothing up. The drain looks again
after releasing its lease, so a push that found the lease taken is never left behind; one whose
worker died before its re-read is drained by ``resume_stalled`` (the ``recover-lost-pushes`` job).
"""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, and_, bindparam, func, literal, or_, select, update
from sqlalchemy.orm import Session

from aggregator.events.emitters import order_change_events
from aggregator.events.outbox import notify_at_commit, outbox_rows
from aggregator.jobs.lease import Lease, LeaseHeld, acquire
from aggregator.logging_setup import redact_text
from aggregator.push_reread import VERSION, plan, write_planned
from aggregator.store.db import read_only_engine, session_scope, statement_reads
from aggregator.store.models.marketplace import OrderLineRow, OrderPackageRow, OrderRow
from aggregator.store.models.tenancy import ShopRow
from aggregator.store.models.webhooks import WebhookEventRow
from aggregator.store.retry import with_db_retry
from aggregator.store.models.audit import AuditEntry
from aggregator.store.models.common import utcnow
from aggregator.store.models.events import OutboxEventRow
from aggregator.store.together import Rows, execute_with
from aggregator.store.upsert import UpsertOutcome, UpsertResult, audit_row
from aggregator.store.vault import Vault
from aggregator.transport_pool import TransportPool
from platform_adapters.registry import StoredOrderStatus, WebhookEvent, get_adapter

log = logging.getLogger(__name__)

#: A re-read request a sync leaves for an order it did not write because a push of it, closed without a
#: re-read, came while its page was read (``sync.push_deferral``): drained like a push.
REREAD = "REREAD"
#: Push kinds whose order is re-read by ``drain``.
ORDER_KINDS = ("ORDER_STATUS", "TRACKING_NUMBER", REREAD)
#: Orders per re-read: every platform's by-id order call takes up to 50.
BATCH_ORDERS = 50
#: Detail prefix of an event whose status was written from the push itself.
FROM_PUSH = "status from the push"
#: Detail of an event the push alone could not apply: the re-read will.
LEFT_TO_REREAD = "left to the re-read"


@dataclass(frozen=True, slots=True)
class Patched:
    """What a patch did: applied, unchanged, stale or deferred (left to the re-read), and what its event
    then says: ``status`` (a tracking push's event is closed by it: the push carried the whole change)
    and ``detail`` (None: the push was not looked at, its order is not stored). ``rows``: the change's
    audit entry and outbox events, and ``writes``: its updates of the order's lines and packages (the
    order's own row is written, and so locked, before), written by the caller in the statement that
    stores or closes the push's event (``store.together``: one round trip on PostgreSQL)."""

    outcome: str
    status: str = "received"
    detail: str | None = None
    rows: tuple[Rows, ...] = ()
    writes: tuple = ()


#: ``patch_new``'s answer for a push whose event id is stored already (a re-delivery): nothing written.
DUPLICATE = Patched("duplicate")


@dataclass(frozen=True, slots=True)
class PushRef:
    """The event a push is (``WebhookEventRow`` has these attributes too); ``id`` None while it is not
    stored yet (``patch_new``)."""

    id: int | None
    platform: str
    shop_id: str
    order_id: str
    source_updated_at: datetime | None


def patch(engine: Engine, event_row: PushRef | WebhookEventRow, event: WebhookEvent) -> Patched:
    """Write what the push says into the stored order (see the module text), in a transaction of its own."""
    with session_scope(engine) as session:
        return patch_in(session, event_row, event)


def patch_in(session: Session, event_row: PushRef | WebhookEventRow, event: WebhookEvent) -> Patched:
    """``patch`` of a stored event inside the caller's transaction. Every outcome but a missing order
    leaves a note on the event, so ``apply`` knows the push was looked at."""
    order, pushes = _order_and_pushes(session, event_row)
    if order is None or any(p.id == event_row.id and p.status != "received" for p in pushes):
        return Patched("deferred")  # not stored, or a re-read after this push's arrival wrote it
    patched = _patch(session, event_row, event, order, pushes)
    execute_with(session, update(WebhookEventRow).where(WebhookEventRow.id == event_row.id)
                 .values(status=patched.status, detail=patched.detail), patched.rows, patched.writes)
    if any(table is OutboxEventRow.__table__ for table, _ in patched.rows):
        notify_at_commit(session)
    return patched


def patch_new(session: Session, push: PushRef, event: WebhookEvent, event_id: str) -> Patched:
    """``patch`` of a push not stored yet (``webhooks.receive``: the caller then stores its event once,
    with the returned status and detail, in the same transaction: one statement fewer than a note
    written after). ``DUPLICATE`` when an event of the order already has ``event_id``: a re-delivery
    changes nothing. The order's row is locked first (PostgreSQL; SQLite has one writer), so two
    pushes of one order are decided one after the other, each seeing the other's stored event."""
    order, pushes = _order_and_pushes(session, push)
    if any(p.event_id == event_id for p in pushes):
        return DUPLICATE
    if order is None:
        return Patched("deferred")
    return _patch(session, push, event, order, pushes)


#: A pushed order's row (locked on PostgreSQL, ``_order_and_pushes``) and its stored pushes, built once.
_ORDER = select(OrderRow.id, OrderRow.owner_id, OrderRow.status, OrderRow.raw_status,
                OrderRow.source_updated_at).where(OrderRow.platform == bindparam("platform"),
                                                  OrderRow.shop_id == bindparam("shop_id"),
                                                  OrderRow.order_id == bindparam("order_id"))
_ORDER_LOCKED = _ORDER.with_for_update()
_PUSHES = select(WebhookEventRow.id, WebhookEventRow.event_id, WebhookEventRow.kind, WebhookEventRow.status,
                 WebhookEventRow.source_updated_at, WebhookEventRow.raw_status).where(
    WebhookEventRow.platform == bindparam("platform"), WebhookEventRow.shop_id == bindparam("shop_id"),
    WebhookEventRow.order_id == bindparam("order_id"))


def _order_and_pushes(session: Session, push: PushRef | WebhookEventRow):
    """The stored order (locked on PostgreSQL: one push of it at a time, so the newer-push check holds)
    and every stored push of it, read after the lock."""
    key = {"platform": push.platform, "shop_id": push.shop_id, "order_id": push.order_id}
    locked = session.get_bind().dialect.name == "postgresql"
    order = session.execute(_ORDER_LOCKED if locked else _ORDER, key).first()
    return order, session.execute(_PUSHES, key).all()


def _patch(session: Session, push, event: WebhookEvent, order, pushes) -> Patched:
    patched = _status(session, get_adapter(push.platform), push, event, order, pushes)
    if patched.detail is None:
        detail = {"deferred": LEFT_TO_REREAD, "unchanged": "the stored order already has the pushed status"}
        patched = dataclasses.replace(patched, detail=detail.get(patched.outcome))
    return patched


def _status(session: Session, adapter, event_row, event: WebhookEvent, order, pushes) -> Patched:
    if event.kind == "TRACKING_NUMBER":
        return _tracking(session, event_row, event, order, pushes)
    if not hasattr(adapter, "webhook_order_status") or event_row.source_updated_at is None:
        return Patched("deferred")
    pushed_at = event_row.source_updated_at
    if pushed_at < order.source_updated_at or any(
            p.kind == "ORDER_STATUS" and p.source_updated_at is not None and p.source_updated_at > pushed_at
            for p in pushes):
        return Patched("stale", detail="older than the stored order or another push of it")
    lines = _StoredLines(session, order.id)
    pushed = adapter.webhook_order_status(event, StoredOrderStatus(order.status, order.raw_status, lines))
    if pushed is None:
        return Patched("deferred")
    if pushed.raw_status == order.raw_status and pushed.status.value == order.status:
        return Patched("unchanged")
    changed = session.execute(
        update(OrderRow).where(OrderRow.id == order.id, OrderRow.raw_status == order.raw_status,
                               OrderRow.source_updated_at <= pushed_at)
        .values(status=pushed.status.value, raw_status=pushed.raw_status, content_hash="")).rowcount
    if not changed:  # a writer got there between our read and our write: the re-read decides
        return Patched("deferred")
    changes = {"status": (order.status, pushed.status.value), "raw_status": (order.raw_status, pushed.raw_status)}
    key = f"{event_row.platform}|{event_row.shop_id}|{event_row.order_id}"
    rows: list[Rows] = [(AuditEntry.__table__, [audit_row(
        entity="orders", key=key, action="update", owner_id=order.owner_id,
        changes={name: list(pair) for name, pair in changes.items()}, actor="webhook")])]
    if order.status != pushed.status.value:
        rows.append((OutboxEventRow.__table__, outbox_rows(order_change_events(order.owner_id, [{
            "platform": event_row.platform, "shop_id": event_row.shop_id, "order_id": event_row.order_id,
            "status": pushed.status.value, "source_updated_at": order.source_updated_at}],
            [UpsertResult(UpsertOutcome.UPDATED, order.id, changes)]))))
    return Patched("applied", detail=f"{FROM_PUSH} ({order.raw_status} -> {pushed.raw_status})", rows=tuple(rows),
                   writes=_lines(order.id, pushed))


class _StoredLines(Mapping):
    """The order's stored lines (ref → raw status), read when an adapter first looks at them."""

    def __init__(self, session: Session, order_pk: int) -> None:
        self._session, self._order_pk, self._lines = session, order_pk, None

    def _read(self) -> dict:
        if self._lines is None:
            self._lines = dict(self._session.execute(select(OrderLineRow.line_ref, OrderLineRow.raw_status)
                                                     .where(OrderLineRow.order_pk == self._order_pk)).all())
        return self._lines

    def __getitem__(self, ref: str):
        return self._read()[ref]

    def __iter__(self):
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())


def _lines(order_pk: int, pushed) -> tuple:
    """The updates of the pushed line statuses (``Patched.writes``): one for every line (Shopee), else one
    per line it names."""
    writes = []
    if pushed.every_line is not None:
        status, raw = pushed.every_line
        writes.append(update(OrderLineRow).where(OrderLineRow.order_pk == literal(order_pk))
                      .values(status=literal(status.value), raw_status=literal(raw)))
    for ref, (status, raw) in pushed.lines.items():
        writes.append(update(OrderLineRow).where(OrderLineRow.order_pk == literal(order_pk),
                                                 OrderLineRow.line_ref == literal(ref))
                      .values(status=literal(status.value), raw_status=literal(raw)))
    return tuple(writes)


def _tracking(session: Session, event_row: PushRef | WebhookEventRow, event: WebhookEvent, order,
              pushes) -> Patched:
    """A package's tracking number from the push itself; done when the package is stored. A tracking
    push carries no time of change, so when another tracking push of the order names another number,
    which one is newer only the platform can tell: both are left to the re-read (written in arrival
    order, a late delivery of the older number would overwrite the newer one for good)."""
    order_pk = order.id
    number = (event.raw_status or "").strip()
    package = event.package_id
    if not number or not package:
        return Patched("deferred")
    stored_as = (event.raw_status or "")[:64].strip()  # as ``webhooks._insert`` stores the number
    if any(p.kind == "TRACKING_NUMBER" and p.id != event_row.id and (p.raw_status or "").strip() != stored_as
           for p in pushes):
        return Patched("deferred")
    stored = session.execute(select(OrderPackageRow.id, OrderPackageRow.tracking_number).where(
        OrderPackageRow.order_pk == order_pk, OrderPackageRow.package_id == package)).first()
    if stored is None:
        return Patched("deferred")
    outcome, rows, writes = "unchanged", (), ()
    if stored.tracking_number != number:  # written with the push's event (``Patched.writes``); the order is locked
        writes = (update(OrderPackageRow).where(OrderPackageRow.id == literal(stored.id))
                  .values(tracking_number=literal(number)),
                  update(OrderLineRow).where(OrderLineRow.order_pk == literal(order_pk),
                                             OrderLineRow.package_id == literal(package))
                  .values(tracking_number=literal(number)),
                  update(OrderRow).where(OrderRow.id == literal(order_pk))
                  .values(content_hash=literal(""), stored_at=literal(utcnow(), OrderRow.stored_at.type)))
        rows = ((AuditEntry.__table__, [audit_row(
            entity="order_packages", key=f"{event_row.platform}|{event_row.shop_id}|{event_row.order_id}|{package}",
            action="update", owner_id=order.owner_id, changes={"tracking_number": [stored.tracking_number, number]},
            actor="webhook")]),)
        outcome = "applied"
    return Patched(outcome, outcome, f"tracking number of package {package} from the push"[:1000], rows, writes)


# --------------------------------------------------------------------------------------- the re-read

#: The shop's order pushes still to re-read, oldest first (``_pending``), with the newest event id stored.
_PENDING = (select(WebhookEventRow.id, WebhookEventRow.order_id,
                   select(func.coalesce(func.max(WebhookEventRow.id), 0)).scalar_subquery().label("seen"))
            .where(WebhookEventRow.platform == bindparam("platform"), WebhookEventRow.shop_id == bindparam("shop_id"),
                   WebhookEventRow.status == "received", WebhookEventRow.kind.in_(ORDER_KINDS),
                   WebhookEventRow.order_id.is_not(None))
            .order_by(WebhookEventRow.id).limit(bindparam("rows")))


def _pending(engine: Engine, shop: ShopRow, limit: int) -> tuple[list[tuple[int, str]], int]:
    """(event id, order id) of the shop's order pushes still to re-read, oldest first, covering at most
    ``limit`` orders; and the newest event id stored when they were looked at (every push stored before
    the re-read that follows, whether still to re-read or closed already). One statement."""
    with statement_reads(engine).connect() as connection:  # SQLite: a read that takes no write lock
        rows = connection.execute(_PENDING, {"platform": shop.platform, "shop_id": shop.shop_id,
                                             "rows": limit * 20}).all()
    orders: dict[str, None] = {}
    batch = []
    for event_pk, order_id, _seen in rows:
        if order_id not in orders and len(orders) == limit:
            continue
        orders[order_id] = None
        batch.append((event_pk, order_id))
    return batch, (rows[0].seen if rows else 0)


#: How long a drain waits before its first read: the pushes of one change come together (Lazada one per
#: order line, Shopee a code 4 per package after the code 3), so they are written from their bodies
#: first, without waiting for the re-read's locks or competing with its work, and share its batch.
GATHER_SECONDS = 0.03

#: Shops this process is draining now: a push of one of them leaves its re-read to that drain without
#: a database lease attempt (the drain looks for pending pushes again after it stops).
_draining: set[int] = set()
_draining_lock = threading.Lock()


def drain(engine: Engine, vault: Vault, shop: ShopRow, transports: TransportPool | None = None, *,
          pending: bool = False) -> int:
    """Re-read the shop's pushed orders in batches until none is left (see the module text); returns the
    number of re-reads (batches) this call made. Returns at once when another worker drains the shop.
    ``pending``: the caller has just seen a push of the shop still to re-read (the first look is skipped)."""
    reads = 0
    while True:
        if shop.id in _draining:  # this process's drain of the shop looks again after it stops
            return reads
        if not pending and not _pending(engine, shop, 1)[0]:  # looked at only without the flag: see the module text
            return reads
        pending = False
        with _draining_lock:
            if shop.id in _draining:
                return reads
            _draining.add(shop.id)
        try:
            if not reads:
                time.sleep(GATHER_SECONDS)
            try:
                lease = acquire(engine, f"push:{shop.id}")
            except LeaseHeld:
                return reads  # its holder looks again after releasing: these events are in its next batch
            lease.start_heartbeat()
            try:
                while (batch := _pending(engine, shop, BATCH_ORDERS))[0]:
                    _reread(engine, vault, shop, *batch, lease, transports)
                    reads += 1
            finally:
                lease.release()
        finally:
            with _draining_lock:
                _draining.discard(shop.id)


#: An order push still waiting for its re-read this long after it arrived lost its worker.
STALLED_AFTER = timedelta(minutes=1)


def resume_stalled(engine: Engine, vault: Vault, transports: TransportPool | None = None, *,
                   now: datetime | None = None) -> int:
    """Drain every shop with an order push still waiting for its re-read ``STALLED_AFTER`` after it
    arrived (its worker died between storing and re-reading it); returns the re-reads made."""
    cutoff = (now or datetime.now(timezone.utc)) - STALLED_AFTER
    with Session(read_only_engine(engine)) as session:
        shops = session.scalars(select(ShopRow).where(select(WebhookEventRow.id).where(
            WebhookEventRow.platform == ShopRow.platform, WebhookEventRow.shop_id == ShopRow.shop_id,
            WebhookEventRow.status == "received", WebhookEventRow.kind.in_(ORDER_KINDS),
            WebhookEventRow.received_at < cutoff).exists()).order_by(ShopRow.id)).all()
    return sum(drain(engine, vault, shop, transports) for shop in shops)


def _reread(engine: Engine, vault: Vault, shop: ShopRow, batch: list[tuple[int, str]], seen: int, lease: Lease,
            transports: TransportPool | None) -> None:
    """Read the batch's orders from the platform (no transaction open meanwhile), then write them and
    close their events in one transaction. ``seen``: the newest event id stored before the read began."""
    from aggregator.sync.marketplace import make_transport, read_orders, refresh_counts, write_read_orders

    order_ids = list(dict.fromkeys(order_id for _, order_id in batch))
    batch_pks = [event_pk for event_pk, _ in batch]
    last = max(batch_pks)
    transport = transports.transport(shop.platform) if transports is not None else make_transport(shop.platform)
    try:
        pulled = read_orders(engine, shop, vault, order_ids, transport)
    except Exception as exc:  # noqa: BLE001 - kept on each event for the operator, never lost
        log.warning("re-reading %d pushed %s orders of shop %s failed: %s", len(order_ids), shop.platform,
                    shop.shop_id, exc)
        reason = redact_text(f"re-read failed: {type(exc).__name__}: {exc}")
        _close(engine, lease, {event_pk: ("failed", reason) for event_pk, _ in batch})
        return
    finally:
        if transports is None:
            transport.close()

    def write() -> None:
        with session_scope(engine) as session:
            lease.check(session)
            planned = plan(session, shop, pulled)  # decided before the locks (PostgreSQL; see push_reread)
            versions = _lock_orders(session, shop, order_ids)
            pushed_again, details = set(), {}
            for event_pk, order_id, again, detail in session.execute(_AFTER_READ, {
                    "platform": shop.platform, "shop_id": shop.shop_id, "orders": order_ids, "batch": batch_pks,
                    "last": last, "seen": seen}):
                if again:
                    pushed_again.add(order_id)
                details[event_pk] = detail
            ready = [entry for order_id, entry in planned.items()
                     if order_id not in pushed_again and versions.get(order_id) == entry.version]
            written: dict[str, str] = {entry.record_key: entry.result.outcome.value for entry in ready}
            rest = [p for p in pulled if p.record_key not in pushed_again and p.record_key not in written]
            if rest:  # not planned, or written meanwhile: decided here, under the locks
                write_read_orders(session, shop, rest, refresh_counts(), written)
            outcomes = {}
            for event_pk, order_id in batch:
                if order_id in pushed_again:
                    continue  # pushed again meanwhile: the next batch reads it
                status, detail = _verdict(written.get(order_id))
                before = details.get(event_pk) or ""
                if before.startswith(FROM_PUSH) and status in ("unchanged", "stale"):
                    status = "applied"
                outcomes[event_pk] = (status, f"{before}; re-read: {detail}" if before else f"re-read: {detail}")
            write_planned(session, ready, outcomes)

    with_db_retry(write, what=f"writing re-read {shop.platform} orders")


#: The order pushes of a re-read batch's orders, read after the batch's orders are locked: each with
#: whether it came while they were read (still to re-read and newer than the batch, or stored since the
#: read began even if closed already: a tracking push is written from its body and closed at once, the
#: read may predate its number) and its detail (what the push itself wrote). A return push re-reads the
#: order in its own apply: not an order kind here.
_PUSHED_AGAIN = or_(and_(WebhookEventRow.status == "received", WebhookEventRow.id > bindparam("last")),
                    WebhookEventRow.id > bindparam("seen"))
_AFTER_READ = (select(WebhookEventRow.id, WebhookEventRow.order_id, _PUSHED_AGAIN.label("again"),
                      WebhookEventRow.detail)
               .where(WebhookEventRow.platform == bindparam("platform"),
                      WebhookEventRow.shop_id == bindparam("shop_id"), WebhookEventRow.kind.in_(ORDER_KINDS),
                      WebhookEventRow.order_id.in_(bindparam("orders", expanding=True)),
                      or_(WebhookEventRow.id.in_(bindparam("batch", expanding=True)), _PUSHED_AGAIN)))


def _lock_orders(session: Session, shop: ShopRow, order_ids: list[str]) -> dict[str, str]:
    """PostgreSQL: lock the batch's stored orders before looking for pushes that came while they were
    read, so a push of one of them either committed before that look (its order is left to the next
    batch) or waits for this write and is decided on what it wrote (``patch_new`` locks the order
    first). Without it, a push committing between the look and the write would be overwritten by an
    older read until the next batch. Returns each locked order's row version (``push_reread.VERSION``:
    what was planned before the lock holds only where it is unchanged). SQLite: the write transaction
    holds the database's one write lock; nothing is returned (nothing was planned)."""
    if session.get_bind().dialect.name != "postgresql":
        return {}
    return dict(session.execute(
        select(OrderRow.order_id, VERSION).where(OrderRow.platform == shop.platform, OrderRow.shop_id == shop.shop_id,
                                                 OrderRow.order_id.in_(order_ids))
        .order_by(OrderRow.id).with_for_update(of=OrderRow)).all())


def _verdict(outcome: str | None) -> tuple[str, str]:
    """The event's status and detail from its order's write outcome (None: the platform did not return it)."""
    if outcome is None:
        return "failed", "not found upstream"
    if outcome in ("created", "updated"):
        return "applied", f"{outcome} 1"
    return outcome, f"{outcome} 1"


def _close(engine: Engine, lease: Lease, outcomes: dict[int, tuple[str, str]]) -> None:
    def close() -> None:
        with session_scope(engine) as session:
            lease.check(session)
            for event_pk, (status, detail) in outcomes.items():
                session.execute(update(WebhookEventRow).where(WebhookEventRow.id == event_pk)
                                .values(status=status, detail=detail[:1000]))
    with_db_retry(close, what="closing pushed orders")
