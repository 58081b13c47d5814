"""The demo's verdict on the logistics chain: what the store linked and the title position, against the
sandbox's published ground truth (``GET /_sandbox/truth/logistics``), in units.

Links are compared at every depth of the chain an export row states — order line → lot, then → container,
→ bill of lading, → customs entry — as precision and recall in units (``matching.quality.unit_scores``:
per distinct key tuple the units both sides agree on; a chain whose lot, container, bill or entry is
missing or wrong counts as wrong in all its units). Identifiers are compared in key form (platform upper
case; document, container and lot numbers normalised as the engine does), since the 3PL types some of
them its own way. The title position is compared per owner x title holder x title state in units, and at
cost (each lot's units x the unit cost its documents state, in that cost's currency: the stock snapshot's
landed cost, else the customs line's invoice value per unit) per currency too, with the units that have no
cost counted on both sides. Write-offs of returned goods disposed of (the ledger's ``WRITTEN_OFF`` events by the
instant) are compared per owner x lot in units with the truth's ``write_offs`` (``write_off_verdict``).

Returns and cancellations are compared case by case with ``GET /_sandbox/truth/returns``
(``returns_verdict``): a stored case agrees when its kind, order, status, units per order line, refund
(amount and currency) and disposition all equal the truth's; precision is the agreeing share of the stored
cases, recall of the true ones.
Webhook pushes (``PushVerdict``, filled by ``aggregator.demo.pushes``): every push answered 200 and every
pushed order showing, through the API, the raw status the sandbox's truth gives it.
Shopee release days (``payout_verdict``) against ``GET /_sandbox/truth/payouts``: what payout batches
(cross-border shops) or wallet withdrawals (local shops) paid of each day, what is open, when it was paid,
and that its receivable was settled in the books that day.
Pure: frames and lists in, numbers out; fetching the truth is ``aggregator.sandbox_link.sandbox_truth``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from matching.quality import unit_scores
from platform_adapters.canonical.identifiers import normalize_document_number

THRESHOLD = 0.995
DEPTHS = {  # name -> the key columns that must all agree
    "order line → lot": ["platform", "shop_id", "order_id", "order_line_ref", "lot_id"],
    "→ container": ["container_no"],
    "→ bill of lading": ["transport_document_no"],
    "→ customs entry (full depth)": ["customs_declaration_no"],
}
TITLE_KEYS = ["owner_id", "title_holder", "title_state"]
_DOCUMENT_KEYS = ("lot_id", "container_no", "transport_document_no", "customs_declaration_no")


@dataclass
class ChainVerdict:
    """Precision and recall in units at each depth, the units on each side, and the title comparison."""

    depths: dict[str, tuple[float, float]] = field(default_factory=dict)
    true_units: int = 0
    linked_units: int = 0
    title: tuple[float, float] = (0.0, 0.0)
    title_units: int = 0
    title_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    value: tuple[float, float] = (0.0, 0.0)  # title position at cost, per owner x holder x state x currency
    unvalued: tuple[int, int] = (0, 0)  # units with no cost: (truth, position)
    write_offs: tuple[float, float] = (1.0, 1.0)  # written-off units per owner x lot
    write_off_units: tuple[int, int] = (0, 0)  # (truth, ledger)

    @property
    def full_depth(self) -> tuple[float, float]:
        return list(self.depths.values())[-1] if self.depths else (0.0, 0.0)

    def failures(self, threshold: float = THRESHOLD) -> list[str]:
        """What falls below ``threshold`` (empty: the chain and the title are true)."""
        out = []
        (p, r), (tp, tr) = self.full_depth, self.title
        if p < threshold or r < threshold:
            out.append(f"links at full depth: precision {p:.4f}, recall {r:.4f} (below {threshold})")
        if tp < threshold or tr < threshold:
            out.append(f"title position: precision {tp:.4f}, recall {tr:.4f} (below {threshold})")
        vp, vr = self.value
        if vp < threshold or vr < threshold:
            out.append(f"title position at cost: precision {vp:.4f}, recall {vr:.4f} (below {threshold})")
        if self.unvalued[0] != self.unvalued[1]:
            out.append(f"unvalued units: {self.unvalued[1]} in the position, {self.unvalued[0]} in the truth")
        wp, wr = self.write_offs
        if wp < threshold or wr < threshold:
            out.append(f"write-offs: precision {wp:.4f}, recall {wr:.4f} (below {threshold}; "
                       f"{self.write_off_units[1]} units in the ledger, {self.write_off_units[0]} in the truth)")
        return out


def _key_form(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["platform"] = out["platform"].astype("string").str.upper()
    for column in ("shop_id", "order_id", "order_line_ref"):
        out[column] = out[column].astype("string").str.strip()
    for column in _DOCUMENT_KEYS:
        out[column] = out[column].map(lambda v: normalize_document_number(v) if isinstance(v, str) else "")
    return out


def chain_verdict(stored_chains: pd.DataFrame, truth: dict) -> ChainVerdict:
    """Compare the store's chains (``matching_service.queries.link_chains``: one row per order line x lot)
    with the truth document's ``chains`` at every depth."""
    verdict = ChainVerdict()
    true = _key_form(pd.DataFrame(truth["chains"]))
    linked = _key_form(stored_chains) if len(stored_chains) else true.iloc[0:0]
    verdict.true_units, verdict.linked_units = int(true["qty"].sum()), int(linked["qty"].sum())
    keys: list[str] = []
    for name, more in DEPTHS.items():
        keys = keys + more
        verdict.depths[name] = unit_scores(linked[keys + ["qty"]], true[keys + ["qty"]], keys)
    return verdict


def title_verdict(verdict: ChainVerdict, position: pd.DataFrame, truth: dict) -> ChainVerdict:
    """Add the title position's comparison with the truth (per owner x title holder x title state)."""
    true = pd.DataFrame(truth["title"]).groupby(TITLE_KEYS, as_index=False)["qty"].sum()
    mine = (position.groupby(TITLE_KEYS, as_index=False)["qty"].sum() if len(position)
            else true.iloc[0:0])
    mine = mine.assign(qty=mine["qty"].astype("int64"))
    verdict.title = unit_scores(mine, true, TITLE_KEYS)
    verdict.title_units = int(true["qty"].sum())
    verdict.title_table = true.merge(mine, on=TITLE_KEYS, how="outer", suffixes=("_truth", "_position")).fillna(0)
    _value_verdict(verdict, position, pd.DataFrame(truth["title"]))
    return verdict


WRITE_OFF_KEYS = ["owner_id", "lot_id"]


def write_off_verdict(verdict: ChainVerdict, ledger: pd.DataFrame, truth: dict, at) -> ChainVerdict:
    """Add the comparison of the ledger's write-offs effective by ``at`` (``WRITTEN_OFF`` events; the lot is
    the last part of the allocation their parent key names) with the truth's ``write_offs``, per owner x lot."""
    def lot_form(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(lot_id=frame["lot_id"].map(normalize_document_number))[[*WRITE_OFF_KEYS, "qty"]]

    true = pd.DataFrame(truth.get("write_offs") or [], columns=[*WRITE_OFF_KEYS, "qty"])
    off = ledger[ledger["kind"] == "WRITTEN_OFF"] if len(ledger) else ledger
    if len(off):
        off = off[pd.to_datetime(off["effective_at"], utc=True) <= pd.Timestamp(at)]
    mine = pd.DataFrame({"owner_id": off["owner_id"] if len(off) else [],
                         "lot_id": off["parent_key"].str.split(">").str[-1].str.split("|").str[-1] if len(off) else [],
                         "qty": off["qty"].astype("int64") if len(off) else []})
    verdict.write_offs = unit_scores(lot_form(mine), lot_form(true), WRITE_OFF_KEYS)
    verdict.write_off_units = (int(true["qty"].sum()), int(mine["qty"].sum()))
    return verdict


def _milli(values: pd.Series) -> pd.Series:
    """Money as whole thousandths of its unit (an exact Decimal sum compared at that grain)."""
    return values.map(lambda v: int((Decimal(str(v)) * 1000).to_integral_value(ROUND_HALF_UP)))


def _value_verdict(verdict: ChainVerdict, position: pd.DataFrame, true: pd.DataFrame) -> None:
    """The position's value at cost (each lot's units x its unit cost, in the cost's currency) against the
    truth's, per owner x title holder x title state x currency, and the units with no cost on each side."""
    keys = [*TITLE_KEYS, "currency"]
    costed = true[true["unit_cost"].notna()]
    true_value = costed.assign(currency=costed["cost_currency"], qty=_milli(pd.Series(
        [Decimal(str(q)) * Decimal(c) for q, c in zip(costed["qty"], costed["unit_cost"])], index=costed.index,
        dtype=object)))
    valued = position[position["currency"].notna() & (position["currency"] != "")] if len(position) else position
    mine = (valued.assign(qty=_milli(pd.Series(list(valued["value"]), index=valued.index, dtype=object)))
            if len(valued) else true_value.iloc[0:0])
    verdict.value = unit_scores(mine[keys + ["qty"]], true_value[keys + ["qty"]], keys)
    verdict.unvalued = (int(true.loc[true["unit_cost"].isna(), "qty"].sum()),
                        int(position["unvalued_qty"].sum()) if len(position) else 0)


#: What a stored return case is compared on, each a function of the case (stored and true alike, in the
#: shape of ``/_sandbox/truth/returns``: ``lines`` as ``{order_line_ref: units}`` once normalised).
RETURN_ASPECTS = ("kind and order", "status", "lines and quantities", "refund", "disposition")


@dataclass
class ReturnsVerdict:
    """Stored returns and cancellations against the truth, case by case."""

    true_cases: int = 0
    stored_cases: int = 0
    agreeing: int = 0
    aspects: dict[str, int] = field(default_factory=dict)  # aspect -> true cases stored with it right
    differences: list[str] = field(default_factory=list)  # one line per case that differs or is missing

    @property
    def scores(self) -> tuple[float, float]:
        """(precision, recall) in cases; both 1.0 when neither side has any."""
        return agreement_scores(self.agreeing, self.stored_cases, self.true_cases)

    def failures(self, threshold: float = THRESHOLD) -> list[str]:
        return agreement_failures("returns", "cases", self.scores, self.differences, threshold)


def agreement_scores(agreeing: int, stored: int, true: int) -> tuple[float, float]:
    """(precision, recall) of ``agreeing`` items out of ``stored`` and ``true``; 1.0 when a side has none."""
    return (agreeing / stored if stored else float(not true)), (agreeing / true if true else float(not stored))


def agreement_failures(name: str, unit: str, scores: tuple[float, float], differences: list[str],
                       threshold: float) -> list[str]:
    """One line naming the first differences when precision or recall is below ``threshold``, else none."""
    precision, recall = scores
    if precision >= threshold and recall >= threshold:
        return []
    return [f"{name}: precision {precision:.4f}, recall {recall:.4f} in {unit} (below {threshold}); "
            + "; ".join(differences[:5])]


def _return_facets(case: dict) -> dict[str, object]:
    units: dict[str, int] = {}
    for line in case["lines"]:
        units[line["order_line_ref"]] = units.get(line["order_line_ref"], 0) + int(line["units"])
    refund = Decimal(str(case["refund"])) if case.get("refund") is not None else None
    return {"kind and order": (case["kind"], case["order_id"], case["owner_id"]), "status": case["status"],
            "lines and quantities": units, "refund": (refund, case.get("currency") if refund is not None else None),
            "disposition": case.get("disposition")}


def _tally(verdict, aspects: tuple[str, ...], name: str, have: dict | None, want: dict) -> None:  # noqa: ANN001
    """Count one true item on ``verdict``: not stored, wrong in the aspects named, or agreeing."""
    if have is None:
        verdict.differences.append(f"{name} not stored")
        return
    wrong = [aspect for aspect in aspects if have[aspect] != want[aspect]]
    for aspect in aspects:
        verdict.aspects[aspect] += aspect not in wrong
    if wrong:
        verdict.differences.append(f"{name} " + ", ".join(f"{aspect} {have[aspect]} (truth {want[aspect]})"
                                                          for aspect in wrong))
    else:
        verdict.agreeing += 1


def returns_verdict(stored: list[dict], truth: list[dict]) -> ReturnsVerdict:
    """Compare the store's return cases with the truth's (both in the shape of ``/_sandbox/truth/returns``,
    keyed by platform, shop and return id)."""
    def key(case: dict) -> tuple[str, str, str]:
        return case["platform"].lower(), str(case["shop_id"]), str(case["return_id"])

    mine = {key(c): _return_facets(c) for c in stored}
    verdict = ReturnsVerdict(true_cases=len(truth), stored_cases=len(mine),
                             aspects=dict.fromkeys(RETURN_ASPECTS, 0))
    true_keys = set()
    for case in truth:
        true_keys.add(key(case))
        _tally(verdict, RETURN_ASPECTS, ":".join(key(case)), mine.get(key(case)), _return_facets(case))
    verdict.differences += [f"{':'.join(k)} stored but not in the truth" for k in sorted(set(mine) - true_keys)]
    return verdict


@dataclass
class PushVerdict:
    """The sandbox's signed pushes through the API's receivers: what was pushed, refused, and shown."""

    hours: int = 0  # simulated hours the sandbox's clock moved on
    pushes: int = 0  # messages the sandbox sent
    refused: list[str] = field(default_factory=list)  # pushes not answered 200
    orders: int = 0  # orders whose status was pushed
    showing: int = 0  # of them, those the API shows with the truth's raw status
    differences: list[str] = field(default_factory=list)
    push_seconds: float = 0.0  # sending every push (each answered once stored)
    visible_seconds: float = 0.0  # then until every pushed order showed its status (or the wait ran out)

    def failures(self, threshold: float = THRESHOLD) -> list[str]:
        out = []
        if not self.orders:
            out.append(f"webhooks: no order status was pushed in {self.hours} simulated hour(s)")
        elif self.showing / self.orders < threshold:
            out.append(f"webhooks: {self.showing} of {self.orders} pushed orders show the truth's status; "
                       + "; ".join(self.differences[:5]))
        if self.refused:
            out.append(f"webhooks: {len(self.refused)} of {self.pushes} pushes refused: " + "; ".join(self.refused[:5]))
        return out


#: What a Shopee release day is compared on: what payouts paid of it, what is open, what withdrawals still
#: pending hold of it, and when it was paid.
PAYOUT_ASPECTS = ("paid", "open", "held by pending withdrawals", "paid at", "settled in the books")


@dataclass
class PayoutVerdict:
    """Shopee release days (``escrow-YYYY-MM-DD``) against ``/_sandbox/truth/payouts``: cross-border shops'
    days paid by their batches, local shops' by their wallet withdrawals (in full, in part or not yet), and
    each paid day's receivable settled in the books on the day it was paid."""

    true_days: int = 0
    stored_days: int = 0
    agreeing: int = 0
    local_days: int = 0  # of the true days, those of local shops (paid by withdrawals)
    partial_days: int = 0  # of them, paid in part
    held_days: int = 0  # of them, held in part or whole by a withdrawal created and not completed yet
    aspects: dict[str, int] = field(default_factory=dict)
    differences: list[str] = field(default_factory=list)

    @property
    def scores(self) -> tuple[float, float]:
        return agreement_scores(self.agreeing, self.stored_days, self.true_days)

    def failures(self, threshold: float = THRESHOLD) -> list[str]:
        return agreement_failures("payouts", "release days", self.scores, self.differences, threshold)


def payout_verdict(stored: list[dict], truth: list[dict]) -> PayoutVerdict:
    """Compare stored release days with the truth's, both as ``{"shop_id", "statement_id", "paid", "open",
    "held", "paid_at"}`` (``held``: what withdrawals pending at now took of it, 0 when absent; ``paid_at``
    epoch seconds or None; stored days add ``settled_on``: the epoch day their receivable was settled on,
    None when not settled)."""
    def key(day: dict) -> tuple[str, str]:
        return str(day["shop_id"]), str(day["statement_id"])

    def facets(day: dict, booked: int | None) -> dict[str, object]:
        paid_at = day.get("paid_at")
        return {"paid": Decimal(str(day["paid"])), "open": Decimal(str(day["open"])),
                "held by pending withdrawals": Decimal(str(day.get("held", 0))), "paid at": paid_at,
                "settled in the books": booked}

    mine = {key(d): d for d in stored}
    verdict = PayoutVerdict(true_days=len(truth), stored_days=len(mine), aspects=dict.fromkeys(PAYOUT_ASPECTS, 0))
    for day in truth:
        local = not day.get("cross_border", True)
        verdict.local_days += local
        verdict.partial_days += local and Decimal(str(day["paid"])) > 0 and Decimal(str(day["open"])) > 0
        verdict.held_days += local and Decimal(str(day.get("held", 0))) != 0
        got = mine.get(key(day))
        _tally(verdict, PAYOUT_ASPECTS, ":".join(key(day)), None if got is None else facets(got, got.get("settled_on")),
               facets(day, None if day.get("paid_at") is None else int(day["paid_at"]) // 86400))
    verdict.differences += [f"{':'.join(k)} stored but not in the truth" for k in sorted(set(mine) - set(map(key, truth)))]
    return verdict
