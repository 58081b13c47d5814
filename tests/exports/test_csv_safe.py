"""``csv_safe``: a cell a spreadsheet could evaluate always gets a leading quote; plain numbers and
ordinary text are written as they are (OWASP CSV injection rules)."""
from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from aggregator.exports.csv_safe import TRIGGERS, dangerous_cells, is_dangerous, safe_cell, safe_writer


def test_the_owasp_triggers_are_neutralised() -> None:
    for text in ("=HYPERLINK(\"http://evil\",\"x\")", "+SUM(1,2)", "-cmd|' /C calc'!A0", "@SUM(A1)",
                 "\t=1+1", "\r=1+1", "\0=1", "-2+3+cmd|' /C calc'!A0", "=", "+", "-", "@"):
        assert safe_cell(text) == "'" + text


def test_numbers_and_ordinary_text_stay() -> None:
    for text in ("-12.50", "+3", "-1.5E-3", ".5", "-.5", "0", "12", "PO-LMN-2026-0041", "Lumina Commerce",
                 "a=b", "", "中文", "'already quoted"):
        assert safe_cell(text) == text
    assert safe_cell(None) == "" and safe_cell(-3) == "-3" and safe_cell(float("nan")) == ""


def test_writer_quotes_every_cell() -> None:
    buffer = io.StringIO()
    writer = safe_writer(buffer, lineterminator="\n")
    writer.writerow(["=1+1", "-5", "x,y"])
    writer.writerows([["@a", None, "ok"]])
    assert buffer.getvalue() == "'=1+1,-5,\"x,y\"\n'@a,,ok\n"


@given(st.lists(st.lists(st.text(max_size=12) | st.sampled_from(TRIGGERS).flatmap(
    lambda t: st.text(max_size=8).map(lambda rest: t + rest)), min_size=1, max_size=4), min_size=1, max_size=4))
def test_no_written_cell_is_ever_a_formula(rows) -> None:
    buffer = io.StringIO()
    safe_writer(buffer, lineterminator="\n").writerows(rows)
    parsed = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert dangerous_cells(parsed) == []
    for original, written in zip((c for r in rows for c in r), (c for r in parsed for c in r)):
        # nothing is lost: the written cell is the original, or the original behind one quote
        assert written == original or (written == "'" + original and is_dangerous(original))
