"""Acting on the exceptions queue: resolve an item (with a note, or for a match exception with the manual
link that fixes it) and retry parked records. The CLI and the API call these and nothing else.

* **resolve** — any open item, with a note (kept in the audit log). A match exception may instead be
  resolved with ``link``: the key of the record on the other side of its step (e.g. the order line for a
  ``shipment_without_order``, the bill of lading for an ``ambiguous`` receipt). The manual link(s) are
  checked like ``aggregator match link`` (``matching_service.manual_links``) — a receipt-level exception
  gets one link per line of the receipt — recorded, and the item is closed in the same transaction.
* **retry** — a parked marketplace record is replayed through its adapter's mapper and the store
  (``aggregator.replay``). Match exceptions are re-checked by the next ``aggregator match`` and settlement
  findings by the next reconciliation, so retrying them is refused with that advice.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from aggregator.exceptions_queue.writes import close
from aggregator.refusals import FieldRefusal
from aggregator.store.models.exceptions import ExceptionItem
from aggregator.store.vault import Vault
from matching.manual import MANUAL_STEPS


class QueueRefusal(FieldRefusal):
    """An action the item does not allow (already closed, a link on a parked record, …), with the reason
    naming the inputs in the caller's terms (``FieldRefusal``)."""


@dataclass(frozen=True, slots=True)
class RetryOutcome:
    item_id: int
    replayed: bool
    detail: str


def _require_open(item: ExceptionItem) -> None:
    if item.status != "open":
        raise QueueRefusal(f"exception #{item.id} is already {item.status}"
                           + (f" ({item.resolution})" if item.resolution else ""))


def resolve(session: Session, item: ExceptionItem, *, note: str, actor: str, link: str | None = None,
            qty: int | None = None) -> ExceptionItem:
    """Close ``item`` with ``note``; with ``link``, first record the manual link(s) that resolve it."""
    _require_open(item)
    note = (note or "").strip()
    if not note:
        raise QueueRefusal(("note", "is needed: a resolution says why (ticket, who agreed)"))
    if link is None:
        return close(session, item, note=note, actor=actor)
    from aggregator.matching_service.manual_links import check_manual_links, record_manual_links

    step, pairs = _link_pairs(session, item, link.strip(), qty)
    link_side = "right" if item.record_kind != MANUAL_STEPS[step][1] else "left"
    sides = {link_side: "link"}
    if any(units is None for _, _, units in pairs):  # the link is checked first: a wrong one hears about itself
        check_manual_links(session, owner_id=item.owner_id or "", step=step, resolves=item, sides=sides,
                           pairs=[(left, right, 1) for left, right, _ in pairs])
        raise QueueRefusal(("qty", f"is needed: exception #{item.id} names no quantity; give the units the link "
                                   "carries"))
    record_manual_links(session, owner_id=item.owner_id or "", step=step, pairs=pairs, note=note, resolves=item,
                        actor=actor, sides=sides)
    return item


def _link_pairs(session: Session, item: ExceptionItem, link: str, qty: int | None
                ) -> tuple[str, list[tuple[str, str, int | None]]]:
    """The manual link(s) ``link`` stands for: (step, [(left key, right key, qty)]); qty None when neither
    ``qty`` nor the item gives one."""
    if item.queue != "match":
        raise QueueRefusal(f"exception #{item.id} is a {item.queue} item: only match exceptions are resolved "
                           "with a link (resolve it with a note, or retry it)")
    if item.step not in MANUAL_STEPS:
        raise QueueRefusal(f"exception #{item.id} ({item.kind}) is about step {item.step!r}, which no manual link "
                           "changes: fix the data, or resolve it with a note")
    left_kind, right_kind = MANUAL_STEPS[item.step]
    record = item.record_key or ""
    if item.record_kind == left_kind:
        return item.step, [(record, link, _quantity(item, qty))]
    if item.record_kind == right_kind:
        return item.step, [(link, record, _quantity(item, qty))]
    if item.record_kind == "receipt" and left_kind == "receipt_line":
        lines = _receipt_lines(session, item.owner_id or "", record)
        if not lines:
            raise QueueRefusal(f"receipt {record!r} of exception #{item.id} has no lines any more")
        return item.step, [(key, link, qty or planned) for key, planned in lines]
    raise QueueRefusal(f"exception #{item.id} is about a {item.record_kind}, which step {item.step!r} does not "
                       f"join; record the link with 'aggregator match link'")


def _quantity(item: ExceptionItem, qty: int | None) -> int | None:
    if qty is not None:
        return qty
    if item.qty and item.qty > 0:
        return abs(item.qty)
    return None


def _receipt_lines(session: Session, owner_id: str, receipt_key: str) -> list[tuple[str, int]]:
    """(line key, planned units) of every line of the receipt ``receipt_key`` (keyed as the matcher keys)."""
    from aggregator.matching_service.loader import load_receipt_lines
    from matching.frames import prepare

    frame = prepare("receipt_lines", load_receipt_lines(session, owner_id))
    lines = frame[frame["receipt_key"] == receipt_key]
    return [(str(k), int(q)) for k, q in zip(lines["key"], lines["planned_qty"])]


def retry(session: Session, vault: Vault | None, item: ExceptionItem, *, actor: str) -> RetryOutcome:
    """Replay a parked record; refuse (``QueueRefusal``) items that are re-checked another way."""
    _require_open(item)
    if item.queue == "match":
        raise QueueRefusal(f"exception #{item.id} is a match exception: the next 'aggregator match --owner "
                           f"{item.owner_id}' checks it again (it closes by itself once the data no longer shows it)")
    if item.queue == "settlement":
        raise QueueRefusal(f"exception #{item.id} is a settlement finding: the next 'aggregator settlements "
                           f"reconcile --owner {item.owner_id}' checks it again")
    if vault is None:
        raise QueueRefusal("parked records are replayed with the shop's credentials: this process has no vault")
    from aggregator.replay import replay_exception

    outcome = replay_exception(session, vault, item.id, actor=actor)
    return RetryOutcome(item.id, outcome.replayed, outcome.detail)
