"""How every list verb prints rows: ``--format table|csv|json``, never cutting an identifier.

* ``table`` (default): aligned columns for a person. The table is as wide as its widest row needs
  (the terminal wraps long lines); no cell is ever shortened or folded, so an id can be copied as is.
* ``csv``: a header and one line per row, every cell spreadsheet-safe (``aggregator.exports.csv_safe``).
* ``json``: one array of objects keyed by column (Decimals as exact strings, instants ISO 8601).

A verb declares ``@format_option()`` and calls ``render(rows, columns, fmt)``; rows are mappings
(keyed by column) or sequences (in column order); amounts are named with ``money=`` and printed with
their currency's minor units (``fx.money.format_amount``). ``--out FILE`` verbs open it with ``open_out`` (or check
it with ``check_out_path`` before their work): an empty name, a folder, or a folder that does not exist
is refused as a bad ``--out`` (exit 2; no folder is created), a refused write as a ``UserError``.
"""
from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import click

from aggregator.cli.errors import UserError
from aggregator.exports.csv_safe import cell_text, safe_writer

FORMATS: tuple[str, ...] = ("table", "csv", "json")


def format_option(default: str = "table", formats: Sequence[str] = FORMATS) -> Callable[[Any], Any]:
    """The ``--format`` option of a list verb (parameter name ``fmt``)."""
    return click.option("--format", "fmt", type=click.Choice(list(formats)), default=default, show_default=True,
                        help="table for people; csv (spreadsheet-safe) or json for programs.")


def _as_dicts(rows: Iterable[Mapping[str, Any] | Sequence[Any]], columns: Sequence[str]) -> Iterator[dict[str, Any]]:
    for row in rows:
        if isinstance(row, Mapping):
            yield {column: row.get(column) for column in columns}
        else:
            values = list(row)
            if len(values) != len(columns):
                raise ValueError(f"row has {len(values)} values for {len(columns)} columns")
            yield dict(zip(columns, values))


def _json_value(value: Any) -> Any:
    """A JSON value for a cell: numbers stay numbers, Decimals exact strings, instants ISO 8601."""
    from aggregator.store.jsonutil import to_jsonable

    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        value = value.item()  # numpy scalars from a frame
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return None if value != value else value
    if cell_text(value) == "":
        return None  # pandas NaT / NA
    converted = to_jsonable(value)
    return converted if isinstance(converted, (str, int, float, bool, list, dict)) else str(value)


def money_cells(records: list[dict[str, Any]], money: Mapping[str, str]) -> list[dict[str, Any]]:
    """``records`` with each amount column (``money``: amount column -> its currency's column) printed with
    its currency's minor units (``fx.money.format_amount``: 873000 VND, 12.50 USD; never rounded)."""
    from fx.display import format_amount

    for record in records:
        for amount, currency in money.items():
            value = record.get(amount)
            if value is not None and cell_text(value) != "":
                record[amount] = format_amount(value, record.get(currency) or None)
    return records


def render(rows: Iterable[Mapping[str, Any] | Sequence[Any]], columns: Sequence[str], fmt: str,
           out: TextIO | None = None, *, money: Mapping[str, str] | None = None) -> int:
    """Print ``rows`` in ``fmt`` to ``out`` (standard output by default); returns the row count. ``money``
    names the amount columns and the column holding each one's currency."""
    stream = out if out is not None else sys.stdout
    records = list(_as_dicts(rows, columns))
    if money:
        money_cells(records, money)
    if fmt == "csv":
        writer = safe_writer(stream, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([record[c] for c in columns] for record in records)
    elif fmt == "json":
        stream.write(json.dumps([{c: _json_value(r[c]) for c in columns} for r in records], ensure_ascii=False,
                                indent=1))
        stream.write("\n")
    elif fmt == "table":
        stream.write(table_text(records, columns))
    else:
        raise ValueError(f"unknown output format {fmt!r}; known: {', '.join(FORMATS)}")
    stream.flush()
    return len(records)


def frame_money(frame: Any) -> dict[str, str]:
    """The amount columns of a frame that has a ``currency`` column: those holding Decimals (money is the only
    Decimal a report or an export frame carries; counts are integers, durations floats) -> ``currency``."""
    from decimal import Decimal

    if "currency" not in frame.columns:
        return {}
    return {str(c): "currency" for c in frame.columns if c != "currency" and frame[c].notna().any()
            and all(isinstance(v, Decimal) for v in frame[c] if v is not None and cell_text(v) != "")}


def render_frame(frame: Any, fmt: str, out: TextIO | None = None) -> int:
    """``render`` for a pandas DataFrame (its columns in order; its amounts by ``frame_money``)."""
    columns = [str(c) for c in frame.columns]
    return render((dict(zip(columns, row)) for row in frame.itertuples(index=False, name=None)), columns, fmt, out,
                  money=frame_money(frame))


def table_text(records: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A rich table wide enough for its widest cell in every column (nothing cut, nothing folded)."""
    from rich import box
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table

    if not records:
        return "(no rows)\n"
    texts = [[cell_text(record[c]) for c in columns] for record in records]
    widths = [max([cell_len(c)] + [max((cell_len(line) for line in row[i].splitlines()), default=0)
                                   for row in texts]) for i, c in enumerate(columns)]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column, width in zip(columns, widths):
        table.add_column(column, no_wrap=True, overflow="ignore", min_width=width)
    for row in texts:
        table.add_row(*row)
    total = sum(widths) + 3 * len(columns) + 2
    buffer = io.StringIO()
    console = Console(file=buffer, width=max(total, 20), no_color=True, highlight=False, soft_wrap=False,
                      emoji=False, markup=False)
    console.print(table)
    return buffer.getvalue()


@contextlib.contextmanager
def open_out(path: str | Path | None, *, binary: bool = False, encoding: str = "utf-8") -> Iterator[Any]:
    """The file an ``--out`` option names, or standard output for none / ``-``.

    The name is checked first (``check_out_path``: a usage error, exit 2); a refused write becomes a
    ``UserError`` naming the path and the reason."""
    if path is None or str(path) == "-":
        yield sys.stdout.buffer if binary else sys.stdout
        return
    target = check_out_path(path)
    try:
        handle = target.open("wb") if binary else target.open("w", encoding=encoding, newline="")
    except OSError as exc:
        raise UserError(f"cannot write --out {str(path)!r}: {exc.strerror or exc}") from exc
    with handle:
        yield handle


def check_out_path(path: str | Path, option: str = "--out") -> Path:
    """``path`` as a file that can be written in a folder that exists. An empty name, a folder given as the
    file, a missing folder or a file in the way of the folder is refused as a bad value of ``option``
    (``click.BadParameter``: exit 2); no folder is ever created (a typo in a
    folder name would otherwise leave the file where nobody looks)."""
    text = str(path)
    if not text.strip():
        raise click.BadParameter("needs a file name (got an empty one)", param_hint=f"'{option}'")
    target = Path(text)
    if target.is_dir():
        raise click.BadParameter(f"{text!r} is a folder; give a file name inside it", param_hint=f"'{option}'")
    folder = target.parent
    if not folder.is_dir():
        in_the_way = next((p for p in (folder, *folder.parents) if p.exists()), None)
        if in_the_way is not None and not in_the_way.is_dir():
            raise click.BadParameter(f"cannot write {text!r}: {str(in_the_way)!r} is a file, not a folder",
                                     param_hint=f"'{option}'")
        raise click.BadParameter(f"cannot write {text!r}: the folder {str(folder)!r} does not exist (create it "
                                 "first, or name a file in a folder that exists)", param_hint=f"'{option}'")
    return target
