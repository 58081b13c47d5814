"""A hostile DCSA JSON file is refused as bad JSON with the file named, never as an internal error."""
from __future__ import annotations

import pytest

from aggregator.ingest import import_file


@pytest.mark.parametrize("kind", ["dcsa-ebl", "dcsa-events"])
def test_json_nested_thousands_deep_is_bad_json(sqlite_engine, tmp_path, kind):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    summary = import_file(sqlite_engine, kind, path, owner_id="LUMINA")
    assert summary.status == "FAILED" and summary.problem_counts["bad_json"] == 1
    assert summary.error.startswith("deep.json: not valid JSON") and "nested too deeply" in summary.error
