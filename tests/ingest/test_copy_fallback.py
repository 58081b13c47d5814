"""PostgreSQL: a batch COPied straight into its table that meets a key stored meanwhile (its first and last keys
new, one in the middle stored) is rolled back to just before the COPY and written by the staged statement,
not record by record: only the stored record whose content changed goes the per-record way."""
from __future__ import annotations

from pathlib import Path

from aggregator.ingest import bulk, columnar_import, import_file
from tests.ingest.test_import_paths import OUTBOUND_HEADER, _outbound_rows


def _days(tmp_path: Path) -> tuple[Path, Path]:
    """Three records, then twenty whose first and last are new, the three among them, one of them changed."""
    day1 = [OUTBOUND_HEADER, *_outbound_rows(range(10, 13))]
    day2 = [OUTBOUND_HEADER, *_outbound_rows(range(1, 21))]
    changed = _outbound_rows(range(11, 12))[0]
    day2[day2.index(changed)] = changed.replace(",SHIPPED,", ",DELIVERED,")
    (tmp_path / "day1.csv").write_text("\n".join(day1) + "\n", encoding="utf-8")
    (tmp_path / "day2.csv").write_text("\n".join(day2) + "\n", encoding="utf-8")
    return tmp_path / "day1.csv", tmp_path / "day2.csv"


def test_a_copy_meeting_a_stored_key_goes_the_staged_way(pg_engine, tmp_path: Path, monkeypatch) -> None:
    day1, _ = _days(tmp_path)
    import_file(pg_engine, "outbound", day1, owner_id="LUMINA")
    per_record, staged = [], []
    write_aggregate, per_row = bulk.write_aggregate, columnar_import.ColumnarReader._per_record
    monkeypatch.setattr(bulk, "write_aggregate", lambda session, agg: per_record.append(agg) or write_aggregate(session, agg))
    monkeypatch.setattr(columnar_import.ColumnarReader, "_per_record",
                        lambda self, *a: per_record.append(a) or per_row(self, *a))
    real_stage = bulk._stage_columns
    monkeypatch.setattr(bulk, "_stage_columns", lambda *a: staged.append(a) or real_stage(*a))
    summary = import_file(pg_engine, "outbound", tmp_path / "day2.csv", owner_id="LUMINA")
    assert (summary.status, summary.created, summary.updated, summary.unchanged) == ("COMPLETED", 17, 1, 2)
    assert staged  # (the staged statement wrote the batch)
    assert len([a for a in per_record if isinstance(a, tuple)]) == 1  # (mapped per record: the changed one only)
