"""The scattered records' pre-read of a plain CSV for receipts and outbounds (``scattered._plain_scattered``:
runs found by numpy in the bytes ``plain_csv.plain_data`` reads) finds what ``scattered._scattered`` finds
over the same cells, whatever the keys, blanks, defaults, owner cells, line ends and block boundaries; a
file that is not plain is left to the other paths."""
from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator.ingest import scattered
from aggregator.ingest.registry import TABULAR
from platform_adapters.profiles import standard_profile
from platform_adapters.tabular import open_table, plain_csv
from platform_adapters.tabular.columns import ColumnMap

_NUMBERS = ["A1", "A2", "A-3", "B 4", "A10", "ASN-2026-0000017", "ASN-2026-00000170", ""]
_WAREHOUSES = ["W1", "W2", "W10", "WAREHOUSE", ""]
_OWNERS = ["LMN", "TRP", "L", "LUMINA-COMMERCE", ""]
#: defaults as a profile may give them: plain, to be cleaned (padded, full-width), blank once cleaned, longer
#: than a cell (cells are read 8 bytes at a time)
_DEFAULTS = st.sampled_from([None, "W1", "A1", "LMN", " W2 ", "Ａ１", "  ", "多", "WAREHOUSE-01", "ASN-2026-0000017"])


@st.composite
def _files(draw):
    kind = draw(st.sampled_from(["inbound", "outbound"]))
    mapper = TABULAR[kind].mapper
    number, warehouse = mapper.KEY_COLUMNS[1], mapper.KEY_COLUMNS[0]
    owners = [name for name in mapper.OWNER_COLUMNS if name not in mapper.KEY_COLUMNS][:2]
    names = [name for name in (number, warehouse, *owners) if draw(st.booleans())] + ["sku"]
    names = draw(st.permutations(names))
    defaults = {name: text for name in (number, warehouse, *owners) if (text := draw(_DEFAULTS)) is not None}
    alphabet = {number: _NUMBERS, warehouse: _WAREHOUSES, "sku": ["x", ""], **{name: _OWNERS for name in owners}}
    # (few distinct rows, repeated: keys met again after others, owners changing within a key's rows)
    distinct = draw(st.lists(st.tuples(*(st.sampled_from(alphabet[name]) for name in names)), min_size=1, max_size=5))
    rows = draw(st.lists(st.sampled_from(distinct), max_size=30))
    return kind, names, defaults, rows


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_files(), delimiter=st.sampled_from([",", "\t", ";"]), crlf=st.booleans(), last_end=st.booleans(),
       named_owner=st.booleans(), size=st.sampled_from([1, 5, 16, 64, 1 << 20]), padded=st.booleans())
def test_the_runs_found_in_the_bytes_are_those_of_the_cells(tmp_path_factory, case, delimiter: str, crlf: bool,
                                                            last_end: bool, named_owner: bool, size: int,
                                                            padded: bool) -> None:
    kind, names, defaults, rows = case
    mapper, columnar = TABULAR[kind].mapper, TABULAR[kind].columnar.mapper
    assert columnar.CELL_KEYS
    if padded and rows:  # (a cell with a space at its edge: the file is not plain)
        rows = [tuple(f" {cell}" if i == 0 and n == len(rows) - 1 else cell for i, cell in enumerate(row))
                for n, row in enumerate(rows)]
    end = "\r\n" if crlf else "\n"
    text = end.join(delimiter.join(row) for row in [names, *rows]) + (end if last_end or not rows else "")
    path = tmp_path_factory.mktemp("plain") / "rows.csv"
    path.write_bytes(text.encode())
    layout = standard_profile(kind).layout
    from dataclasses import replace
    layout = replace(layout, delimiter=delimiter)
    columns = ColumnMap({name: i for i, name in enumerate(names)}, defaults, {}, ())
    present = [name for name in mapper.KEY_COLUMNS if name in columns.indexes]
    owner_names = () if named_owner else mapper.OWNER_COLUMNS
    owners = [name for name in owner_names if name in columns.indexes and name not in mapper.KEY_COLUMNS]
    record_keys = scattered.record_keys_of(mapper, columnar)

    # the reference: ``_scattered`` over the cells as written, the owner cells a blank one its default
    cells = [[row[columns.indexes[name]] for row in rows] for name in present + owners]
    cells[len(present):] = [[cell if cell.strip() else defaults.get(name, cell) for cell in column]
                            for name, column in zip(owners, cells[len(present):])]
    expected = (scattered._scattered(iter([cells]), columns, mapper.KEY_COLUMNS, present, owners, record_keys)
                if rows and present else set())

    fast = scattered._plain_scattered(path, layout, 1, len(names), columns, mapper.KEY_COLUMNS, present, owners,
                                      None, size) if present else None
    data = plain_csv.plain_data(path, 1, delimiter)
    assert (fast is not None) == (bool(present) and data is not None and bool(data.plain)
                                  and data.width in (0, len(names)))
    if present and not padded and (last_end or len(rows) > 1):  # (plain: a first data row with its line end)
        assert fast is not None
    if padded and rows:
        assert fast is None
    if fast is not None:
        assert fast == expected
    found = [scattered.scattered_keys(path, layout, 1, len(names), columns, mapper.KEY_COLUMNS, owner_names,
                                      record_keys, 4, None, cell_keys, size) for cell_keys in (True, False)]
    assert found == [expected, expected]


def test_the_import_s_reader_keeps_what_the_pre_read_found_of_the_file(tmp_path: Path) -> None:
    """Through the import's reader the file is looked at once: the reader's rows are then those of a fresh
    reader's, and a spread receipt is found."""
    header = "asn_no,warehouse_code,sku,planned_qty"
    rows = ["ASN-1,WH1,S1,1", "ASN-2,WH1,S2,2", "ASN-1,WH1,S3,3", "ASN-3,WH1,S4,4"]
    path = tmp_path / "spread.csv"
    path.write_text("\r\n".join([header, *rows]) + "\r\n")
    layout = standard_profile("inbound").layout
    mapper, columnar = TABULAR["inbound"].mapper, TABULAR["inbound"].columnar.mapper
    reader = open_table(path, layout, 3)
    columns = ColumnMap({name: i for i, name in enumerate(header.split(","))}, {}, {}, ())
    found = scattered.scattered_keys(path, layout, reader.header_line, len(reader.header), columns,
                                     mapper.KEY_COLUMNS, mapper.OWNER_COLUMNS,
                                     scattered.record_keys_of(mapper, columnar), 3, reader, True)
    assert found == {hash(("", "WH1", "ASN-1"))}
    assert reader._plain is not False  # (the reader kept the answer)
    again = open_table(path, layout, 3)
    assert list(reader.column_chunks()) == list(again.column_chunks())
