"""Header construction: one or more header rows joined into one name per column.

Merged header cells arrive as one value followed by empty cells. A group title merged across
several columns in an upper header row is carried to the right over the empty cells beneath which
a lower row names the column; a column whose only name is in an upper row (a cell merged
vertically) keeps that name.
"""
from __future__ import annotations

from platform_adapters.canonical.identifiers import clean_text


def build_header(rows: list[tuple[str, ...]], joiner: str = " ") -> tuple[str, ...]:
    width = max(len(r) for r in rows)
    grid = [[clean_text(r[i]) if i < len(r) else "" for i in range(width)] for r in rows]
    # Carry group titles rightwards in every row but the last, only under a named lower cell.
    for level in range(len(grid) - 1):
        carried = ""
        for col in range(width):
            value = grid[level][col]
            below_named = any(grid[lower][col] for lower in range(level + 1, len(grid)))
            if value:
                # A title with nothing named beneath it is a vertically merged cell, not a group.
                carried = value if below_named else ""
            elif below_named and carried:
                grid[level][col] = carried
            else:
                carried = ""
    names = []
    for col in range(width):
        parts = []
        for level in range(len(grid)):
            part = grid[level][col]
            if part and (not parts or parts[-1] != part):
                parts.append(part)
        names.append(joiner.join(parts))
    # Trailing unnamed columns (common in exports) are dropped from the header's width.
    while names and not names[-1]:
        names.pop()
    return tuple(names)


def header_key(name: str) -> str:
    """Comparison form of a header name: half-width, trimmed, single spaces, case-folded."""
    return clean_text(name).lstrip("\ufeff").casefold()
