"""``aggregator export journal`` end to end on a SQLite data dir: files written, refusals explained."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from aggregator.cli.main import cli
from aggregator.exports.canonical import canonical_csv
from aggregator.exports.source import load_export_rows
from aggregator.store.db import create_engine_for, session_scope, upgrade_schema
from aggregator.store.models import OwnerRow
from aggregator.store.models.fx import FxJournalLineRow
from tests.exports.readers import read_csv, read_dbf
from tests.exports.scenario import OWNER, book_december


def _run(data: Path, *args: str):
    return CliRunner().invoke(cli, ["--data-dir", str(data), "export", "journal", *args])


def test_export_journal_writes_each_format(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    engine = create_engine_for(f"sqlite:///{data / 'aggregator.sqlite'}")
    upgrade_schema(engine)
    with session_scope(engine) as session:
        book_december(session)
    with session_scope(engine) as session:
        expected = canonical_csv(load_export_rows(session, OWNER, date(2026, 12, 1), date(2026, 12, 31)))
    engine.dispose()

    out = tmp_path / "out" / "december.csv"
    out.parent.mkdir()  # --out names a file in a folder that exists (tests/cli/test_errors.py)
    done = _run(data, "--owner", OWNER, "--format", "csv", "--period", "2026-12", "--out", str(out))
    assert done.exit_code == 0, done.output
    assert out.read_bytes() == expected
    assert "6 journal(s), 19 line(s), 2026-12-01..2026-12-31, owner LUMINA, rounding ROUND_HALF_UP" in done.output

    names = tmp_path / "accounts.csv"
    names.write_text("code,name\n1002,Bank:PingPong CNY\n", encoding="utf-8")
    qbo = tmp_path / "out" / "qbo.csv"
    done = _run(data, "--owner", OWNER, "--format", "quickbooks", "--from", "2026-12-24", "--to", "2026-12-24",
                "--out", str(qbo), "--account-names", str(names))
    assert done.exit_code == 0, done.output
    rows = read_csv(qbo.read_bytes())[1]
    assert next(r["AccountName"] for r in rows) == "Bank:PingPong CNY" and len(rows) == 3

    dbf = tmp_path / "out" / "kingdee.dbf"
    done = _run(data, "--owner", OWNER, "--format", "kingdee", "--period", "2026-12", "--out", str(dbf),
                "--preparer", "王会计")
    assert done.exit_code == 0, done.output
    records = read_dbf(dbf.read_bytes())[1]
    assert len(records) == 19 and {r["FPREPARE"] for r in records} == {"王会计"}

    nobody = _run(data, "--owner", "NOBODY", "--format", "xero", "--period", "2026-12", "--out",
                  str(tmp_path / "out" / "nobody.csv"))
    assert nobody.exit_code == 2 and "no owner 'NOBODY'" in nobody.output
    assert not (tmp_path / "out" / "nobody.csv").exists()


def test_export_journal_refusals(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    engine = create_engine_for(f"sqlite:///{data / 'aggregator.sqlite'}")
    upgrade_schema(engine)
    with session_scope(engine) as session:
        session.add(OwnerRow(owner_id=OWNER, name="Lumina Beauty", base_currency="CNY"))
    engine.dispose()
    both = _run(data, "--owner", OWNER, "--format", "csv", "--period", "2026-12", "--from", "2026-12-01",
                "--out", str(tmp_path / "x.csv"))
    assert both.exit_code == 2 and "either --period or --from/--to" in both.output
    bad = _run(data, "--owner", OWNER, "--format", "csv", "--period", "2026-13", "--out", str(tmp_path / "x.csv"))
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output

    engine = create_engine_for(f"sqlite:///{data / 'aggregator.sqlite'}")
    upgrade_schema(engine)
    with session_scope(engine) as session:
        session.add(FxJournalLineRow(
            owner_id=OWNER, journal_id="MANUAL-7", journal_date=date(2026, 12, 30), line_no=1, account="1002",
            book_currency="CNY", amount=Decimal("0.01"), line_type="ADJUSTMENT", rounding="ROUND_HALF_UP",
            memo="", idem_key="MANUAL-7:1"))
    with session_scope(engine) as session:
        assert session.scalars(select(FxJournalLineRow.journal_id)).all() == ["MANUAL-7"]
    engine.dispose()
    refused = _run(data, "--owner", OWNER, "--format", "xlsx", "--period", "2026-12", "--out",
                   str(tmp_path / "x.xlsx"))
    assert refused.exit_code == 1
    assert "journal MANUAL-7: debits 0.01 CNY != credits 0 CNY" in refused.output
    assert not (tmp_path / "x.xlsx").exists()
