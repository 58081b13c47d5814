"""Profile application: from a file's header to rows keyed by a kind's canonical column names."""
from __future__ import annotations

from dataclasses import dataclass

from platform_adapters.tabular.errors import TabularError
from platform_adapters.tabular.header import header_key


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Which source column (index) feeds each canonical column, and the constant defaults."""

    indexes: dict[str, int]
    defaults: dict[str, str]
    source_names: dict[str, str]
    ignored: tuple[str, ...]

    @classmethod
    def build(cls, header: tuple[str, ...], *, known: tuple[str, ...], required: tuple[str, ...],
              mapping: dict[str, str], defaults: dict[str, str], location: str,
              guess=None) -> ColumnMap:
        """Match ``header`` to the canonical columns; TabularError listing what is missing.

        A canonical column is found under the source header the profile maps it to, otherwise under
        its own name. Comparison ignores case, full-width forms and repeated spaces. A header a canonical
        column is found under that names more than one column of the file fails the file
        (``duplicate_column``, naming each place): which of them the import reads is not to be guessed, and
        the others' values would be dropped unsaid. Other headers (columns the import does not read) may
        repeat.
        """
        positions: dict[str, list[int]] = {}
        for index, name in enumerate(header):
            key = header_key(name)
            if key:
                positions.setdefault(key, []).append(index)
        indexes: dict[str, int] = {}
        source_names: dict[str, str] = {}
        for column in known:
            wanted = mapping.get(column)
            for candidate in ([wanted] if wanted else []) + [column]:
                found = positions.get(header_key(candidate))
                if found is not None:
                    if len(found) > 1:
                        raise TabularError(location, _duplicated(column, [header[i] for i in found], found),
                                           code="duplicate_column")
                    indexes[column] = found[0]
                    source_names[column] = header[found[0]]
                    break
        missing = [c for c in required if c not in indexes and c not in defaults]
        if missing:
            expected = [f"{c} (as {mapping[c]!r})" if c in mapping else c for c in missing]
            reason = f"missing required column(s): {', '.join(expected)}; found: {', '.join(h for h in header if h)}"
            if guess is not None:
                other = guess({header_key(h) for h in header})
                if other:
                    reason += f"; this looks like a file of kind {other!r}"
            raise TabularError(location, reason, code="missing_columns")
        used = set(indexes.values())
        ignored = tuple(name for i, name in enumerate(header) if i not in used and name)
        return cls(indexes, dict(defaults), source_names, ignored)

    def row(self, cells: tuple[str, ...]) -> dict[str, str]:
        """The canonical view of one row: trimmed text per known column ('' when absent)."""
        values = dict(self.defaults)
        width = len(cells)
        for column, index in self.indexes.items():
            text = cells[index].strip() if index < width else ""
            if text or column not in values:
                values[column] = text
        return values

    def source_name(self, column: str) -> str:
        return self.source_names.get(column, column)


def _duplicated(column: str, names: list[str], found: list[int]) -> str:
    """Why a file whose header names the column ``column`` is read from at ``found`` (0-based) is refused."""
    places = ", ".join(str(i + 1) for i in found[:-1]) + f" and {found[-1] + 1}"
    as_named = ", ".join(dict.fromkeys(repr(name) for name in names))
    return (f"the header names column {column!r} more than once ({as_named}: columns {places}); which one holds "
            "it cannot be told: rename or remove the others; the file is not imported")
