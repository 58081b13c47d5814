"""The scattered records' pre-read of a UTF-8 CSV (``scattered.arrow_scattered_keys``), run on a worker
thread from the import's start, beside the file's content hash and the database's setup.

Before the import's first rows reach the database it must know which records have their rows spread
over the file (``aggregator.ingest.scattered``); read on the import's thread once its reader is open, that
read came after the hash and the setup, all of it time the database waits. Begun at the import's start it
runs beside them: Arrow's parse and the hashing leave the interpreter to the other threads. It needs the
file's header before the import's reader has read it, so it reads the first rows itself
(``reader.csv_header``) and maps them to columns as the import does (``file_columns``); the import takes
its answer (``PreRead.result``) only when the reader found that same header, and reads the keys itself
otherwise. What the import would have met reading the keys it meets the same: the read's error raised on
the import's thread where it would have been raised, a file Arrow does not read as the reader does
(``scattered.NotForArrow``) read by the reader. Like ``plain_csv.PlainScan``, the import starts it inside
its ``try`` and closes it in its ``finally``: leaving stops the read (at its next block) and waits for the
thread, whatever way the import ends (done, already imported, its owner unknown, the session refused, a
header the profile does not fit), so neither the thread nor its handle on the file outlives the import.
"""
from __future__ import annotations

import threading
from pathlib import Path

from aggregator.ingest.registry import TABULAR
from aggregator.ingest.scattered import Halted, RecordKeys, arrow_scattered_keys, record_keys_of
from platform_adapters.profiles import KINDS, Profile, guess_kind
from platform_adapters.tabular.background import Background
from platform_adapters.tabular.columns import ColumnMap
from platform_adapters.tabular.plain_csv import may_be_plain
from platform_adapters.tabular.reader import csv_header


def file_columns(header: tuple[str, ...], kind: str, profile: Profile, name: str) -> ColumnMap:
    """The canonical columns of a file of ``kind`` named ``name`` whose header is ``header``, read with
    ``profile`` (ColumnMap's errors raised: a required column missing, a name the profile maps twice…)."""
    spec = KINDS[kind]
    return ColumnMap.build(header, known=spec.all_columns, required=spec.required, mapping=profile.columns,
                           defaults=profile.defaults, location=name, guess=guess_kind)


def key_reading(kind: str, owner_id: str | None) -> tuple[tuple[str, ...], tuple[str, ...], RecordKeys]:
    """What the pre-read of a file of ``kind`` reads: the key columns, the owner columns (none when the import
    names the owner, ``owner_id``) and the kind's ``record_keys`` (``scattered.record_keys_of``)."""
    handler = TABULAR[kind]
    mapper, columnar = handler.mapper, handler.columnar
    return (mapper.KEY_COLUMNS, () if owner_id else mapper.OWNER_COLUMNS,
            record_keys_of(mapper, columnar and columnar.mapper))


def pre_read_ahead(path: Path, kind: str, profile: Profile, owner_id: str | None) -> PreRead | None:
    """The pre-read of ``path`` started, when the import of a file of ``kind`` reads one (a kind whose
    records have lines) and the file read with ``profile`` may be a CSV Arrow reads (UTF-8); else None."""
    if TABULAR[kind].lines is None or not may_be_plain(path, profile.layout):
        return None
    return PreRead(path, kind, profile, owner_id)


class PreRead:
    """``scattered.arrow_scattered_keys`` of a file on a worker thread (``background.Background``).
    ``result`` waits for it and answers it; ``close`` stops it and waits for the thread."""

    def __init__(self, path: Path, kind: str, profile: Profile, owner_id: str | None) -> None:
        self.path, self.kind, self.profile, self.owner_id = path, kind, profile, owner_id
        #: the header line and header the read was made for (None: it found none, and read nothing)
        self._header: tuple[int, tuple[str, ...]] | None = None
        self._read: Background[set[int] | None] = Background(self._keys, "import-pre-read")

    def _keys(self, halt: threading.Event) -> set[int] | None:
        layout = self.profile.layout
        try:
            header, header_line = csv_header(self.path, layout)
            columns = file_columns(header, self.kind, self.profile, self.path.name)
        except Exception:  # (no header this way: the import's reader finds it, or fails the import, and the
            return None    # keys are read on the import's thread; nothing here to report)
        self._header = (header_line, header)
        return arrow_scattered_keys(self.path, layout, header_line, len(header), columns,
                                    *key_reading(self.kind, self.owner_id), halt=halt)

    def result(self, header_line: int, header: tuple[str, ...]) -> set[int] | None:
        """The read's answer for a file whose header the import's reader found at ``header_line`` (its last
        row) to be ``header``; its error raised; None when it read for another header or none (the import
        reads the keys itself)."""
        error = self._read.wait()
        if self._header != (header_line, header) or isinstance(error, Halted):
            return None
        return self._read.result()

    def close(self) -> None:
        """Stop the read and wait for its thread."""
        self._read.close()
