"""``reader.check_encoding`` passes over all-ASCII blocks without decoding them: a file whose last block is the
start of a multi-byte character (a lone ``EF`` or ``EF BB``) after ASCII blocks is still refused before any
row is handed out, as the block-by-block decode refuses it (a byte-order mark is looked for only at the start:
the decoder is told so after an ASCII block)."""
from __future__ import annotations

from pathlib import Path

import pytest

from platform_adapters.tabular import reader
from tests.ingest.test_encoding_check import _outcome, _reference


@pytest.mark.parametrize("tail", [b"\xef", b"\xef\xbb"])
@pytest.mark.parametrize("block", [4, 8])
def test_a_file_ending_inside_a_character_after_ascii_blocks_is_refused(tmp_path: Path, monkeypatch, tail, block) -> None:
    monkeypatch.setattr(reader, "_ENCODING_CHECK_BLOCK", block)
    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b\n" * (block // 4) + tail)  # (whole ASCII blocks, then the truncated character alone)
    expected = _outcome(_reference, path, "utf-8", block)
    assert expected is not None and expected[2] == "wrong_encoding"
    assert _outcome(reader.check_encoding, path, "utf-8") == expected


def test_an_import_of_such_a_file_stores_nothing(sqlite_engine, tmp_path: Path) -> None:
    """End to end with the real block size: 1 MiB of ASCII outbound rows, then the first byte of ``ｘ``."""
    from sqlalchemy import func, select

    from aggregator.ingest import import_file
    from aggregator.store.db import session_factory
    from aggregator.store.models.warehouse import WarehouseShipmentRow
    from tests.ingest.test_import_hostile import _row, _write

    path = _write(tmp_path / "outbound.csv", [_row(f"OC{i:05d}") for i in range(4000)])
    data = path.read_bytes()
    last = data[:-1] + b"x" * ((1 << 20) - len(data)) + b"\n"  # (the last remark padded: exactly 1 MiB)
    assert len(last) == 1 << 20 and last.isascii()
    path.write_bytes(last + "ｘ".encode()[:1])
    summary = import_file(sqlite_engine, "outbound", path, owner_id="LUMINA", chunk_rows=2000)
    with session_factory(sqlite_engine)() as session:
        stored = session.scalar(select(func.count()).select_from(WarehouseShipmentRow))
    assert (summary.status, stored) == ("FAILED", 0), (summary.error, stored)
    assert "not valid utf-8" in summary.error


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.ingest.test_encoding_check import PIECES  # noqa: E402

#: the commit's own pieces plus the prefixes of a 3-byte character beginning EF (and a lone continuation byte)
MORE = st.one_of(PIECES, st.sampled_from([b"\xef", b"\xef\xbb", b"\xbf", "ｘ".encode()[:2]]))


@pytest.mark.parametrize("block", [1, 3, 7, 1 << 20])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.one_of(MORE, st.just(b"abc,def\n" * 3)), max_size=30),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "utf-16"]))
def test_the_check_agrees_with_the_block_by_block_decode_on_truncated_characters(tmp_path: Path, monkeypatch, block: int, parts, encoding) -> None:
    """``test_encoding_check``'s property with truncated characters among the pieces (e.g. parts [b"a",
    b"\\xef"], block 1, utf-8: passed as valid before the decoder was told no mark can follow)."""
    monkeypatch.setattr(reader, "_ENCODING_CHECK_BLOCK", block)
    path = tmp_path / "f.csv"
    path.write_bytes(b"".join(parts))
    assert _outcome(reader.check_encoding, path, encoding) == _outcome(_reference, path, encoding, block)
