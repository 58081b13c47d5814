"""The per-row derivation of an allocation's title events, as ``matching.title.derive`` had it before it
built them from the frame's columns (``derive._allocations_events``): the reference the columnar one is
tested against (``test_title_allocation_columns``). Kept here, not in the package: one copy of the logic
runs."""
from __future__ import annotations

from matching.title import events as ev
from matching.title.derive import _s, _Subject, _t, write_off_key
from matching.title.events import TitleEvent
from matching.title.policy import PolicyBook


def allocation_events(row, book: PolicyBook) -> list[TitleEvent]:
    """The events of one allocation (an ``itertuples`` row of ``allocation_inputs``), emitted one by one."""
    owner = row.owner_id
    policy = book.lookup(owner, _s(row.platform), _s(row.country))
    consumer = "CONSUMER"  # the buyer of the order named in the evidence
    order = f"order {_s(row.platform) or ''}|{_s(row.shop_id) or ''}|{_s(row.order_id) or ''}"
    wh = _s(row.warehouse_code)
    subject = _Subject(owner, "ALLOCATION", f"{row.left_key}>{row.right_key}", row.right_key, int(row.qty),
                       title_holder=owner, risk_bearer=owner, document_holder=None, custodian=wh,
                       location_state="ALLOCATED")
    outbound = f"{order} outbound {_s(row.wms_outbound_no)}"
    created, shipped = _t(row.created_at), _t(row.shipped_at)
    delivered, returned = _t(row.delivered_at), _t(row.returned_at)
    if created or shipped:
        subject.emit("ALLOCATED", created or shipped, "CONTRACT", "stock reserved for a marketplace order "
                     "(still the seller's)", outbound, "DERIVED", title_state=ev.ALLOCATED)
    if shipped:
        to_consumer = policy.consumer_title_on == "DISPATCH"
        subject.emit("DISPATCHED", shipped, "PLATFORM_TC" if to_consumer else "POLICY_DEFAULT",
                     "handed to the last-mile carrier" + ("; title passes on dispatch (policy)" if to_consumer
                                                          else "; title stays with the seller until delivery"),
                     f"{outbound} tracking {_s(row.tracking_number) or '-'}", "DERIVED",
                     title_state=ev.CONSUMER_OWNED if to_consumer else ev.IN_LAST_MILE,
                     custodian=f"CARRIER {_s(row.carrier_code) or ''}".strip(), location_state="IN_LAST_MILE",
                     **({"title_holder": consumer} if to_consumer else {}),
                     **({"risk_bearer": consumer} if policy.consumer_risk_on == "DISPATCH" else {}))
    if delivered:
        subject.emit("DELIVERED", delivered, "POLICY_DEFAULT", "delivered: title and risk pass to the consumer "
                     "(policy default: on delivery)", f"{outbound} delivered", "DERIVED",
                     title_state=ev.CONSUMER_OWNED, title_holder=consumer, risk_bearer=consumer, custodian=consumer,
                     location_state="DELIVERED")
    if returned:
        note = ("returned after delivery: title back to the seller" if delivered else
                "failed delivery returned: title never left the seller")
        subject.emit("RETURN_RECEIVED", returned, "CONTRACT", note + "; re-inspect before restock",
                     f"{outbound} returned", "DERIVED", title_state=ev.OWNED_IN_WAREHOUSE, title_holder=owner,
                     risk_bearer=owner, custodian=wh, location_state="RETURNED_PENDING_QC")
    off, off_at = int(getattr(row, "written_off", 0) or 0), _t(getattr(row, "written_off_at", None))
    if off > 0 and off_at is not None:
        written = _Subject(owner, "WRITE_OFF", write_off_key(subject.key), subject.key, off, title_holder=owner,
                           risk_bearer=owner, document_holder=None, custodian="NONE (disposed of)",
                           location_state=ev.DISPOSED)
        written.emit("WRITTEN_OFF", off_at, "PLATFORM_TC", f"{off} returned unit(s) disposed of by the marketplace's "
                     "warehouse (return disposition SCRAP): the owner writes them off and title ends; effective at the "
                     "return's update that reports it", f"{order} return disposition SCRAP", "DERIVED",
                     title_state=ev.WRITTEN_OFF)
        return subject.out + written.out
    return subject.out
