"""The reference sample (samples/settlement_export.sample.csv) reproduced byte for byte from the same
inputs: a Lazada TH statement recognised at the CFETS-style rate, then paid out under a lock."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from aggregator.exports.balance import check_balanced
from aggregator.exports.canonical import canonical_csv
from aggregator.exports.rows import LineContext, records_from_journal, sort_rows, to_export_row
from fx.gains import FxAccounts, recognise_at_rate, settle
from fx.money import Money
from fx.rates import Rate
from fx.recognition import RecognitionAccounts, StatementPart, net_of, recognition_journal
from tests.conftest import SAMPLES

ORDER = "1118594800859773"


def test_sample_rows_reproduced_exactly() -> None:
    parts = [StatementPart("COMMISSION", Money.of("-978.30", "THB"), "Commission", "COMMISSION"),
             StatementPart("PAYMENT_FEE", Money.of("-666.03", "THB"), "Payment Fee", "PAYMENT_FEE"),
             StatementPart("REVENUE", Money.of("13990.00", "THB"), "Item Price Credit", "REVENUE")]
    rate = Rate("THB", "CNY", "0.210943762393", date(2026, 11, 2), "CFETS_CCPR", reference="CCPR-2026-11-02-CNYTHB")
    item = recognise_at_rate("JE-LZTH-20261102-0001", net_of(parts), rate, account="1122.LZ-TH")
    recognition = recognition_journal(
        item, parts, journal_id="JE-LZTH-20261102-0001", on=date(2026, 11, 2),
        idem_prefix=f"LAZADA:LZ-TH-0001:{ORDER}",
        accounts=RecognitionAccounts(by_kind={"COMMISSION": "6601.01", "PAYMENT_FEE": "6601.02", "REVENUE": "6001"}))
    cash = Money(item.original.amount * Decimal("0.2101"), "CNY")  # THB converted at the lock's client rate
    payout = settle(item, item.original, cash, on=date(2026, 11, 6), journal_id="JE-LZTH-20261106-0001",
                    idem_prefix="LOCK-7f3c2a91:UTIL:1", rate_source="PROVIDER_LOCK", rate_ref="LOCK-7f3c2a91",
                    accounts=FxAccounts(cash="1002.PP-CNY"))
    statement = LineContext("SH-SVC-01", "LAZADA", "LZ-TH-0001", "TH", "STMT-2026W45", ORDER)
    paid = LineContext("SH-SVC-01", "LAZADA", "LZ-TH-0001", "TH", "STMT-2026W45")
    rows = sort_rows([to_export_row(r, statement) for r in records_from_journal(recognition)]
                     + [to_export_row(r, paid) for r in records_from_journal(payout.journal)])
    totals = check_balanced(rows)
    assert [(t.journal_id, t.debits, t.credits) for t in totals] == [
        ("JE-LZTH-20261102-0001", Decimal("2951.10"), Decimal("2951.10")),
        ("JE-LZTH-20261106-0001", Decimal("2604.24"), Decimal("2604.24"))]
    assert canonical_csv(rows) == (SAMPLES / "settlement_export.sample.csv").read_bytes()
