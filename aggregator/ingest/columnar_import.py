"""The columnar path of a tabular import: a chunk at a time, column by column, for kinds that have a
columnar mapper (``TabularKindHandler.columnar``), with the per-row path for anything out of the ordinary.

Per chunk: exact repeats of the row before are counted (``duplicate_row``); the cells become one list
per canonical column (``platform_adapters.tabular.columnar``); control characters and over-long fields
are found with one search per column, and only the rows holding them go through the per-row checks,
which reject them naming the column; each distinct combination of the columns that name a row's owner
is attributed once; record keys are found per distinct value; then the kind's columnar mapper reads
every field column-wise (parsers run once per distinct text) and marks each row it would report
something about. Contiguous rows of one key form a record, as on the per-row path, and the last one is
carried into the next chunk; rows of a record spread over the file (``TabularRun.scattered``) are set
aside before that and stored at the end of the file by the per-row path, each record's rows together.

A record whose rows are all clean, whose key is new in this file and that is not a continuation goes
the fast way: its header and lines are built column-wise, hashed from its source rows, and written in
one batch (``aggregator.ingest.bulk.insert_new``: prepared executemany on SQLite; COPY into staging
tables and one set-based INSERT … ON CONFLICT on PostgreSQL, audit entries included); a record
stored with the same hash is UNCHANGED without being mapped. Every other record — rows with a problem,
a key met before, a record stored with other content, a batch the database refuses — is mapped by the
per-row mapper and written by the per-record path (``TabularRun.flush_group`` / ``write_batch``), so
rejects, warnings, merges and updates are exactly those of the per-row path
(``tests/ingest/test_import_paths.py``).

A chunk is stored and committed on a worker thread (``behind.Behind``) while the next one is read and,
as far as it touches nothing the store uses, mapped (``ColumnarReader._ahead``); the next chunk is fed
to records only once the one before is committed (``tests/ingest/test_import_overlap.py``).
"""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from itertools import compress
from operator import itemgetter, ne, sub
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.pool import SingletonThreadPool

from aggregator.ingest import bulk
from aggregator.ingest.behind import Behind
from aggregator.ingest.bulk import CopyTexts, NewRows, StoreError, stored_hashes
from aggregator.ingest.tabular_import import TabularRun, _key_hash
from aggregator.owners.attribution import Attribution, common_owners
from aggregator.store.db import statement_reads
from aggregator.store.widths import column_widths, overlong_cells
from platform_adapters.tabular.columnar import (ROW_SEPARATOR, GroupedRows, columns_of, flagged_rows, short_columns,
                                               span_hashes)
from platform_adapters.tabular.rows import CanonicalRow


@dataclass
class _Rows:
    """Rows of the chunk being mapped (those fed to records, the carried ones first): canonical columns,
    physical lines, owners and record keys, with the columnar mapper's values once read."""

    columns: dict[str, list[str]]
    lines: list[int]
    owners: list[str]
    keys: list[tuple | None]
    plain: set[str]  # the columns every cell of which is plain (``columnar.columns_of``)
    values: Any = None
    texts: list[str] | None = None  # each row's cells in the hash's column order, joined (``row_text``)
    #: no cell is longer (None: not known); when every column is plain, no value read from them is either
    longest: int | None = None
    #: rows taken out of these, of records spread over the file: (record key, owner, row) each, for
    #: ``TabularRun.set_aside`` once the rows are fed
    aside: list | None = None
    #: what ``write_fast`` makes of these rows' fast records when they are these spans, made ahead
    #: (``ColumnarReader._build_ahead``): (spans, header columns with the hashes last, each child table's rows
    #: (``GroupedRows``), their COPY texts or None: ``CopyTexts``)
    built: tuple[list[tuple[int, int]], list[list], list[GroupedRows], CopyTexts | None] | None = None
    #: ``_fast_keys`` of these rows as found ahead: (starts, continued, the answer)
    fast_keys: tuple[list[int], bool, set | None] | None = None


@dataclass
class _Ahead:
    """A chunk mapped ahead (``ColumnarReader._ahead``): its rows after the carried ones, read, where its
    records start, whether the first continues one written in part, and the carry it was mapped with."""

    rows: _Rows
    starts: list[int]
    continued: bool
    carry: _Rows | None


#: the first chunk of ``chunk_rows`` rows is handed out in parts of these fractions of it (``ramp``), so that the
#: store starts once a quarter of it is read and mapped rather than all of it, while the reading keeps ahead
RAMP = (0.25, 0.25, 0.5)
#: no ramp for chunks whose first part would be smaller than this: each part costs a commit and a round trip
RAMP_MIN_ROWS = 1000


def ramp(chunk_rows: int) -> tuple[int, ...]:
    """The sizes of the parts the first chunk of ``chunk_rows`` rows is read in (``TableReader.first_chunks``):
    ``RAMP``'s fractions, the last one taking what they leave; () when the first would be less than
    ``RAMP_MIN_ROWS``. Only the chunks handed out are smaller: the run's ``chunk_rows`` (a record's parts, the
    rows carried) and the runs of repeated rows reported (at the end of each whole chunk) are the same."""
    sizes = [int(chunk_rows * share) for share in RAMP[:-1]]
    if min(sizes) < RAMP_MIN_ROWS:
        return ()
    return (*sizes, chunk_rows - sum(sizes))


#: seconds the reading thread waits, after handing a chunk whose records go the fast way to the store, for
#: the store to hand the server their first rows (``ColumnarReader.sending``, ``bulk.insert_new``'s ``sent``)
#: before it reads on
SENDING_WAIT = 0.05


class ColumnarReader:
    """Reads ``run``'s file a chunk at a time, column by column."""

    def __init__(self, run: TabularRun) -> None:
        self.run = run
        self.kind = run.handler.columnar
        self.mapper = run.handler.mapper
        #: the mapper's claims, when each reads a cell and its scope's (``rows.ClaimSpec``): owners found column-wise
        self.claim_specs = getattr(self.mapper, "CLAIM_SPECS", None)
        self.row_order = list(dict.fromkeys([*run.columns.defaults, *run.columns.indexes]))
        self.header_fields = [field for _, field in self.kind.header]
        #: the fields of each child table's rows (``ColumnarKind.children``), as ``build_columns`` takes them
        self.child_fields = [[field for _, field in pairs] for _, _, pairs in self.kind.children]
        self.header_columns = [column for column, _ in self.kind.header] + ["content_hash"]
        self.key_at = [self.header_columns.index(k) for k in self.kind.key]
        self.check_groups = getattr(self.kind.mapper, "check_groups", None)
        self.widths = _field_widths(self.kind)
        #: whether ``_build_ahead`` builds the fast records' COPY texts too (PostgreSQL, while a chunk is stored)
        self.texts_ahead = False
        #: whether the last fast records written were mostly found stored with the same content (a file imported
        #: again, or the next day's cumulative one): their COPY texts were not needed, and the next chunk's are
        #: not built ahead (the store builds them for the records it does insert)
        self.found_stored = False
        self.copies = run.session.get_bind().dialect.name == "postgresql"
        #: set once the chunk being stored has handed the server its first rows, or its store ended
        self.sending = threading.Event()
        #: whether the last chunk stored was still being stored when the next one had been mapped: the server,
        #: not the reading, sets the pace (then the reading waits for ``sending``)
        self.server_paced = False
        self.carry: _Rows | None = None
        self.carry_continued = False
        #: records gathered the fast way, per chunk's rows: (start, end)
        self.fast: list[tuple[_Rows, list[tuple[int, int]]]] = []
        #: where the owners of the stored records a chunk names are read ahead, while the chunk before is stored
        #: (``OwnerResolver.look_up_beside``): the engine's reads of one statement each (``statement_reads``:
        #: another connection, on SQLite a deferred transaction that never waits for the store's write lock) and
        #: the tables the import writes; None when the store runs in line or the session is bound to a connection
        #: (set by ``read``)
        self.beside: tuple[Any, frozenset[str]] | None = None
        run.before_flush.append(self.write_fast)

    def read(self, progress: Callable[[int], None] | None) -> None:
        """The file a chunk at a time; each chunk is stored and committed (``TabularRun.store_chunk``) on a
        worker thread (``behind.Behind``) while the next one is read and mapped as far as it touches nothing
        the store uses (``_ahead``); the rest of it (repeats, rejects, keys met, records gathered) waits
        for the commit, so every write, reject and count comes in the order it would one chunk after
        another. On PostgreSQL, having handed the store a chunk whose records go the fast way, it reads on
        once the store has handed the server their first rows (``sending``: at most ``SENDING_WAIT``) when
        the store, not the reading, sets the pace (``server_paced``: the reading would only lose the time)."""
        run = self.run
        run.reader.first_chunks = parts = ramp(run.chunk_rows)
        # (an in-memory SQLite database's connection belongs to the thread that made it: stored in line)
        bind = run.session.get_bind()
        engine = bind.engine
        with Behind("import-store", inline=isinstance(engine.pool, SingletonThreadPool)) as store:
            # (a session bound to a connection may hold what another connection does not see yet: read through it)
            if not store.inline and isinstance(bind, Engine):
                stored = [self.kind.model, *(model for model, _, _ in self.kind.children)]
                self.beside = statement_reads(engine), frozenset(model.__tablename__ for model in stored)
            for number, (lines, cells, by_index) in enumerate(run.reader.column_chunks(), 1):
                # (the first chunk's COPY text is built by the store, a slice at a time: the server starts sooner)
                self.texts_ahead = self.copies and store.busy and not self.found_stored
                ahead = self._ahead(lines, cells, by_index)
                self._stored(store, progress)
                self.chunk(lines, cells, by_index, ahead)
                run.close_chunk(repeats=number >= len(parts))  # (a part of the first chunk but its last: not yet)
                # the store's round trip and first rows before the next chunk is read: run side by side, the two
                # threads take turns holding the interpreter (5 ms each), and the server waited for both
                sending = self.copies and self.server_paced and not store.inline and any(fast for _, fast in self.fast)
                self.sending.clear()
                store.start(self._store_chunk)
                if sending:
                    self.sending.wait(SENDING_WAIT)
            self._stored(store, progress)
        run.repeats.close()  # (a run of repeats the file ends in, when its last chunk was a part of the first)
        if self.carry is not None:
            rows, self.carry = self.carry, None
            self.records(rows, self.carry_continued, final=True)
        self.run.finish_pending()

    def _store_chunk(self) -> None:
        try:
            self.run.store_chunk()
        finally:
            self.sending.set()

    def _stored(self, store: Behind, progress: Callable[[int], None] | None) -> None:
        """Wait for the chunk being stored (its error raised here) and report the rows read through it."""
        if store.busy:
            self.server_paced = not store.done
            store.wait()
            if progress:
                progress(self.run.summary.rows_read)

    # -- one chunk --------------------------------------------------------------------------------

    def row(self, columns: dict[str, list[str]], lines: list[int], i: int) -> CanonicalRow:
        return CanonicalRow(lines[i], {c: columns[c][i] for c in self.row_order})

    def chunk(self, lines: list[int], cells: list[tuple[str, ...]] | None,
              by_index: list[list[str]] | None = None, ahead: _Ahead | None = None) -> None:
        """One chunk's rows: ``cells`` one tuple per row, or (None and) ``by_index`` one list per column;
        ``ahead``: what ``_ahead`` made of them, used when no row repeats the one before."""
        run = self.run
        run.summary.rows_read += len(lines)
        facts = getattr(by_index, "facts", None)  # (``columnar.FileColumns``: true of any of its rows)
        if cells is None:
            kept, cells = run.repeats.kept_columns(lines, by_index)
        else:
            kept = run.repeats.kept(lines, cells)
        if ahead is not None and len(kept) == len(lines):
            assert ahead.carry is self.carry  # (what it was mapped with)
            self.carry = None
            self._set_aside(ahead.rows)
            self._gather(ahead.rows, ahead.starts, ahead.continued, final=False)
            return
        if len(kept) < len(lines):
            lines, cells, by_index = [lines[i] for i in kept], [cells[i] for i in kept], None
        columns, plain = columns_of(cells, run.columns.indexes, run.columns.defaults, by_index, facts)
        flagged = flagged_rows(columns, run.max_chars, plain,
                               short_columns(run.columns.indexes, run.columns.defaults, facts, run.max_chars))
        fed, owners = self._attribute(columns, lines, flagged)
        if len(fed) < len(lines):
            columns = {c: [col[i] for i in fed] for c, col in columns.items()}
            lines = [lines[i] for i in fed]
        rows, continued = self._after_carry(columns, lines, owners, plain, facts)
        self.carry = None
        self.records(rows, continued, final=False)

    def _ahead(self, lines: list[int], cells: list[tuple[str, ...]] | None,
               by_index: list[list[str]] | None) -> _Ahead | None:
        """``chunk``'s work on a chunk whose rows each go to one owner known without the session (the owner the
        import was given, or ``_owners_ahead``) and hold nothing to reject, as if none repeated the row before
        (``chunk`` checks): its columns, keys and mapped values after the carried rows, and where its records
        start. It reads only the chunk, the carried rows, the reading options, what the owner resolver holds in
        memory and the stored records it reads beside the store (``beside``), writes only what it returns (and
        the resolver's cache): it runs while the chunk before is stored. None for a chunk that needs more (a row
        to reject, or to defer, an owner to look up through the session)."""
        run = self.run
        if not lines:
            return None
        facts = getattr(by_index, "facts", None)
        columns, plain = columns_of(cells, run.columns.indexes, run.columns.defaults, by_index, facts)
        if flagged_rows(columns, run.max_chars, plain,
                        short_columns(run.columns.indexes, run.columns.defaults, facts, run.max_chars)):
            return None
        owners = self._owners_ahead(columns, len(lines))
        if owners is None:
            return None
        rows, continued = self._after_carry(columns, lines, owners, plain, facts)
        if not rows.lines:
            return None
        starts = self._read(rows)
        self._build_ahead(rows, starts, continued)
        return _Ahead(rows, starts, continued, self.carry)

    def _build_ahead(self, rows: _Rows, starts: list[int], continued: bool) -> None:
        """``write_fast``'s column building and hashing of the records ``_gather`` sends the fast way at once
        when every one is (``_fast_keys``, kept for ``_all_fast``; whether their keys are new in the file is
        known only once the chunk before is stored, so ``write_fast`` uses it only for those very spans): done
        while the chunk before is stored, so the store goes straight to the database (the server kept busy);
        on PostgreSQL, while a chunk is stored (``texts_ahead``), their COPY texts too (``bulk.CopyTexts``: the
        store only sends them, with the ids it draws). Pure: reads ``rows`` and the run's hash prefixes, writes
        ``rows.built`` and ``rows.fast_keys``."""
        if self._fast_keys(rows, starts, continued) is not None:
            spans = list(zip(starts, starts[1:]))[:-1]
            heads, parts = self._built(rows, spans)
            rows.built = (spans, heads, parts, CopyTexts.of(heads, parts) if self.texts_ahead else None)

    def _after_carry(self, columns: dict[str, list[str]], lines: list[int], owners: list[str], plain: set[str],
                     facts: Any) -> tuple[_Rows, bool]:
        """The rows fed to records (their keys found), after the rows carried from the chunk before (which
        the caller drops), and whether the first record continues one written in part."""
        run = self.run
        keys = self.kind.mapper.record_keys(columns, owners, plain)
        aside = None
        if run.scattered:
            spread = list(map(run.spread, self.kind.mapper.record_keys(columns, [""] * len(lines), plain)))
            if any(spread):
                aside = [(keys[i], owners[i], self.row(columns, lines, i)) for i in compress(range(len(lines)), spread)]
                kept = [i for i, apart in enumerate(spread) if not apart]
                columns = {c: [col[i] for i in kept] for c, col in columns.items()}
                lines, owners, keys = ([values[i] for i in kept] for values in (lines, owners, keys))
        longest = None
        if facts and plain.issuperset(columns):
            longest = max(max(fact.longest for fact in facts), *map(len, run.columns.defaults.values()), 0)
        rows = _Rows(columns, lines, owners, keys, plain, longest=longest, aside=aside)
        carry = self.carry
        if carry is None:
            return rows, False
        return _Rows({c: carry.columns[c] + col for c, col in columns.items()}, carry.lines + lines,
                     carry.owners + owners, carry.keys + keys, carry.plain & plain,
                     longest=None if carry.longest is None or longest is None else max(carry.longest, longest),
                     aside=aside), self.carry_continued

    def _owner_combos(self, columns: dict[str, list[str]], count: int) -> list[tuple[str, ...]]:
        """Each row's cells of the columns that name its owner (the mapper's ``OWNER_COLUMNS``)."""
        empty = [""] * count
        return list(zip(*(columns.get(c) or empty for c in self.mapper.OWNER_COLUMNS)))

    def _claims(self, combo: tuple[str, ...]) -> tuple:
        """The owner claims of a row whose owner columns hold ``combo`` (``_owner_combos``)."""
        return self.mapper.owner_claims(dict(zip(self.mapper.OWNER_COLUMNS, combo)))

    def _owners_ahead(self, columns: dict[str, list[str]], count: int) -> list[str] | None:
        """Each row's owner as ``_attribute`` finds it, when every row has one that the resolver knows from memory
        (``OwnerResolver.resolve_known``) once the stored records the rows name are read beside the store
        (``OwnerResolver.look_up_beside``, when ``beside`` is set); None when a row's owner needs a look through
        the session (a record in a table the import writes), is waiting for the file's later rows, or is missing
        (``_attribute`` then attributes the chunk once the one before is stored, rejecting or deferring those
        rows)."""
        resolver = self.run.resolver
        if resolver.override is not None:
            return [resolver.override] * count
        if self.claim_specs is not None:
            found = self._claimed_owners(columns, count, known=True)
            return None if found is None or None in found else found
        combos = self._owner_combos(columns, count)
        claims = {combo: self._claims(combo) for combo in set(combos)}
        if self.beside is not None and not resolver.look_up_beside(claims.values(), *self.beside):
            return None
        owners = {}
        for combo, made in claims.items():
            attribution = resolver.resolve_known(made, final=False)
            if attribution is None or attribution.deferred or not attribution.owners:
                return None
            owners[combo] = attribution.owners[0]
        return list(map(owners.__getitem__, combos))

    def _claimed_owners(self, columns: dict[str, list[str]], count: int, *, known: bool,
                        skip: set[int] | None = None) -> list[str | None] | None:
        """Each row's owner found column by column, for a mapper whose claims each read a cell and its scope's
        (``CLAIM_SPECS``): the owners each distinct pair of cells claims found once (``OwnerResolver.owners_named``:
        with ``known`` from memory only, or read beside the store when ``beside`` is set), a row's owner the one
        owner its claims leave together (``common_owners``), as ``resolve`` finds it; None for a row whose claims
        leave none or several (``resolve`` then says why, or defers it) or whose claims were not all looked up (the
        rows ``skip`` holds are left out of the look-up: rows to reject). None for every row when ``known`` and a claim needs the
        session (with ``beside``: a record in a table the import writes; without: any record not looked up yet),
        or when a claim is a master's houses."""
        resolver, empty = self.run.resolver, [""] * count
        kept = None if not skip else [i for i in range(count) if i not in skip]
        by_spec = []  # per spec: each row's cells, the distinct cells looked at
        named = []  # per spec: its kind of claim and the (value, scope) each of its distinct cells claims
        for spec in self.claim_specs:
            values = columns.get(spec.column) or empty
            cells: list = values if spec.scope_column is None else list(zip(values, columns.get(spec.scope_column) or empty))
            cleaned = spec.cleaned if spec.scope_column is None else lambda pair, spec=spec: spec.cleaned(*pair)
            distinct = list(set(cells) if kept is None else set(map(cells.__getitem__, kept)))
            by_spec.append((cells, distinct))
            named.append((spec.via, list(map(cleaned, distinct))))
        owner_sets = resolver.owners_named(named, known=known, beside=self.beside if known else None)
        if owner_sets is None:
            return None
        # each row's owner sets, spec by spec (None: a row left out of the look-up), found by its cells
        rows = list(zip(*(list(map(dict(zip(distinct, sets)).get, cells))
                          for (cells, distinct), sets in zip(by_spec, owner_sets))))
        decided: dict[tuple, str | None] = {}
        for sets in set(rows):
            together = None if None in sets else common_owners(sets)
            decided[sets] = next(iter(together)) if together is not None and len(together) == 1 else None
        return list(map(decided.__getitem__, rows))

    def _attribute(self, columns: dict[str, list[str]], lines: list[int], flagged: set[int]) -> tuple[list[int], list[str]]:
        """The rows fed to records and their owners; the others rejected (or deferred) as the per-row path does."""
        run = self.run
        count = len(lines)
        fed: list[int] = []
        owners: list[str] = []
        resolver = run.resolver
        if resolver.override is not None and not flagged:
            return list(range(count)), [resolver.override] * count
        combos = self._owner_combos(columns, count)
        claims: dict[tuple[str, ...], tuple] = {}
        decided = None
        if resolver.override is None:
            # the claims of the rows holding nothing to reject: the stored records they name read together
            if self.claim_specs is not None:
                decided = self._claimed_owners(columns, count, known=False, skip=flagged)
            if decided is None:
                claims = {combo: self._claims(combo) for combo in {combos[i] for i in range(count) if i not in flagged}}
                resolver.look_up(claims.values(), final=False)
        found: dict[tuple[str, ...], Attribution] = {}
        for i, combo in enumerate(combos):
            if i in flagged and run.rejected_row(self.row(columns, lines, i)):
                continue
            if decided is not None and decided[i] is not None:
                fed.append(i)
                owners.append(decided[i])
                continue
            if combo not in found:
                found[combo] = resolver.resolve(claims.get(combo) or self._claims(combo), final=False)
            attribution = found[combo]
            if attribution.owners and not attribution.deferred:
                fed.append(i)
                owners.append(attribution.owners[0])
            else:
                run.attributed(self.row(columns, lines, i), attribution)
        return fed, owners

    # -- records ----------------------------------------------------------------------------------

    def records(self, rows: _Rows, continued: bool, final: bool) -> None:
        """The contiguous runs of one key in ``rows``, each in parts of at most a chunk; the last run is
        carried to the next chunk unless ``final``. ``continued``: the first run continues a record
        whose earlier part is written."""
        self._set_aside(rows)
        if rows.lines:
            self._gather(rows, self._read(rows), continued, final)

    def _set_aside(self, rows: _Rows) -> None:
        """Hand the rows taken out of ``rows`` (records spread over the file) to the run, once."""
        if rows.aside:
            self.run.set_aside(rows.aside)
            rows.aside = None

    def _read(self, rows: _Rows) -> list[int]:
        """Read ``rows``' values column-wise (marking the rows a record's checks or a column's width
        refuse) and their texts; where each record starts (and the end). Touches ``rows`` only."""
        run = self.run
        keys, count = rows.keys, len(rows.lines)
        rows.values = self.kind.mapper.read_columns(rows.columns, count, run.base_options, rows.plain)
        rows.texts = list(map(ROW_SEPARATOR.join, zip(*(rows.columns[c] for c in run.hash_columns))))
        if None in keys:
            starts = [0, *(i for i, (a, b) in enumerate(zip(keys, keys[1:]), 1) if a != b or b is None), count]
        else:  # (a row whose key differs from the one before starts a record)
            starts = [0, *compress(range(1, count), map(ne, keys, keys[1:])), count]
        if self.check_groups is not None:  # what the kind's mapper checks over a record's rows
            self.check_groups(rows.values, starts)
        # a row with a text longer than the column it goes in: the per-record path rejects its record (a
        # plain cell is read as itself, upper-cased or shortened: only columns narrower than the longest cell
        # need a look then)
        widths = self.widths if rows.longest is None else {
            name: width for name, width in self.widths.items() if width < rows.longest}
        for i in overlong_cells(rows.values.fields, widths):
            rows.values.ok[i] = False
        return starts

    def _gather(self, rows: _Rows, starts: list[int], continued: bool, final: bool) -> None:
        """``records`` once ``rows`` are read (``_read``: ``starts``): the records that go the fast way
        gathered for ``write_fast``, the others written the per-row way, the last run carried."""
        run = self.run
        keys, count, limit = rows.keys, len(rows.lines), run.chunk_rows
        ok, texts, seen = rows.values.ok, rows.texts, run.seen
        spans: list[tuple[int, int]] | None = None  # this chunk's fast records, while no merge wrote them
        pairs = list(zip(starts, starts[1:]))
        if self._all_fast(rows, starts, continued):  # every record but the last the fast way, at once
            spans = self._spans(rows)
            spans.extend(pairs[:-1])
            pairs = pairs[-1:]
        for start, end in pairs:
            key = keys[start]
            first_continued = continued and start == 0
            if (key is not None and end < count and end - start <= limit and not first_continued
                    and (ok[start] if end - start == 1 else
                         all(ok[start:end]) and len(set(texts[start:end])) == end - start)):
                digest = _key_hash(key)
                if digest not in seen:  # the usual record: ``part``'s fast way, inline
                    seen.add(digest)
                    if spans is None:
                        spans = self._spans(rows)
                    spans.append((start, end))
                    continue
            spans = None  # (a merge may write the records gathered so far)
            if key is None:
                run.flush_group(None, [self.row(rows.columns, rows.lines, start)], rows.owners[start])
            elif end == count and not final:
                parts = (end - start - 1) // limit
                for part in range(parts):
                    self.part(rows, start + part * limit, start + (part + 1) * limit, key,
                              first_continued or part > 0, more=True)
                tail = start + parts * limit
                self.carry = _Rows({c: col[tail:end] for c, col in rows.columns.items()}, rows.lines[tail:end],
                                   rows.owners[tail:end], rows.keys[tail:end], rows.plain, longest=rows.longest)
                self.carry_continued = first_continued or parts > 0
            elif end - start <= limit and not first_continued:
                self.part(rows, start, end, key, False)
            else:
                for part, at in enumerate(range(start, end, limit)):
                    self.part(rows, at, min(at + limit, end), key, first_continued or part > 0, more=at + limit < end)

    def _all_fast(self, rows: _Rows, starts: list[int], continued: bool) -> bool:
        """Whether every record of ``rows`` but the last (``starts``: where each begins) goes the fast way in
        ``records``' loop, which then need not look at them one by one: clean rows, no text twice, each key
        new in the file and met once, none longer than a chunk, the first not continuing a record. The keys
        are then noted as met."""
        digests = self._fast_keys(rows, starts, continued)
        seen = self.run.seen
        if digests is None or not seen.isdisjoint(digests):
            return False
        seen.update(digests)
        return True

    def _fast_keys(self, rows: _Rows, starts: list[int], continued: bool) -> set | None:
        """``_all_fast`` but for the keys met in earlier chunks: when the rows are ``_clean`` and the keys of the
        records but the last distinct, those keys' digests; else None. Found once: ahead (``_build_ahead``)
        for a chunk whose records are then gathered (``_all_fast``), and kept in ``rows``."""
        found = rows.fast_keys
        if found is not None and found[0] is starts and found[1] == continued:
            return found[2]
        digests = None
        if self._clean(rows, starts, continued):
            keys = list(map(_key_hash, map(rows.keys.__getitem__, starts[:-2])))
            digests = set(keys)
            if len(digests) < len(keys):
                digests = None
        rows.fast_keys = (starts, continued, digests)
        return digests

    def _clean(self, rows: _Rows, starts: list[int], continued: bool) -> bool:
        """``_all_fast`` but for the keys met before: clean rows, no text twice, no key missing, none longer
        than a chunk, the first not continuing a record, at least two records before the last."""
        if continued or len(starts) < 3:
            return False
        last = starts[-2]
        return not (None in rows.keys[:last] or not all(rows.values.ok[:last])
                    or max(map(sub, starts[1:-1], starts)) > self.run.chunk_rows or len(set(rows.texts[:last])) < last)

    def part(self, rows: _Rows, start: int, end: int, key: tuple, continued: bool, more: bool = False) -> None:
        """One record's rows: the fast way when they are clean and the key is new, else (or when they are a
        part of a record longer than a chunk, ``continued`` or ``more`` to come) the per-row path."""
        run = self.run
        digest = _key_hash(key)
        if continued or more or digest in run.seen or not (rows.values.ok[start] if end - start == 1 else (
                all(rows.values.ok[start:end]) and len(set(rows.texts[start:end])) == end - start)):
            run.flush_group(key, [self.row(rows.columns, rows.lines, i) for i in range(start, end)],
                            rows.owners[start], continued, more)
            return
        run.seen.add(digest)
        self._spans(rows).append((start, end))

    def _spans(self, rows) -> list[tuple[int, int]]:
        """The list of ``rows``' fast records not written yet (a new one when a merge wrote those before)."""
        if not self.fast or self.fast[-1][0] is not rows:
            self.fast.append((rows, []))
        return self.fast[-1][1]

    # -- writing ----------------------------------------------------------------------------------

    def write_fast(self) -> None:
        """Write the records gathered the fast way: stored with the same hash → UNCHANGED; new → one batch;
        stored with other content, or refused by the database → the per-record path."""
        run, kind = self.run, self.kind
        gathered, self.fast = self.fast, []
        groups = [(rows, fast) for rows, fast in gathered if fast]
        headers: list[list] = []  # the records' header values column by column, their hashes last
        parts_of_lines: list[list[GroupedRows]] = []  # each group's records' rows of each child table
        copied = None  # their COPY texts, when built ahead for these very records
        for rows, fast in groups:
            built = rows.built
            if built is not None and built[0] == fast:
                heads, parts, copied = built[1:]
            else:
                heads, parts = self._built(rows, fast)
            headers = heads if not headers else [[*before, *more] for before, more in zip(headers, heads)]
            parts_of_lines.append(parts)
        if not headers:
            return
        tables = [GroupedRows.joined(part) for part in zip(*parts_of_lines)]  # (each child table's, held by column)
        hashes = headers[-1]
        count = len(hashes)
        keys = list(zip(*map(headers.__getitem__, self.key_at)))
        session, summary = run.session, run.summary
        unchanged: set[int] = set()
        # records whose stored key another record of this write has (a stock snapshot's instant written
        # two ways): the per-record path writes them in file order
        colliding = self._colliding(keys)
        if session.get_bind().dialect.name == "postgresql":
            # ON CONFLICT sorts out the stored ones
            candidates = [i for i in range(count) if i not in colliding] if colliding else list(range(count))
        else:
            stored = stored_hashes(session, kind.model, kind.key, keys)
            candidates = [] if stored or colliding else list(range(count))  # (none stored: all new)
            if stored or colliding:
                for i, key in enumerate(keys):
                    if i in colliding:
                        continue
                    found = stored.get(key)
                    if found is None:
                        candidates.append(i)
                    elif found == hashes[i]:
                        unchanged.add(i)  # (stored with other content: the per-record path, below)
        created: set[int] = set()
        if candidates:
            every = len(candidates) == count
            new = headers if every else [list(map(column.__getitem__, candidates)) for column in headers]
            children = [(model.__table__, parent_col, [c for c, _ in pairs], rows if every else rows.pick(candidates))
                        for (model, parent_col, pairs), rows in zip(kind.children, tables)]
            # (written column by column: no header tuple made)
            batch = NewRows.of_columns(kind.model.__table__, kind.key, self.header_columns, new, children,
                                       copied if every and len(groups) == 1 else None)
            try:
                made, same = bulk.insert_new(session, batch, "system", self.sending.set)
                created = {candidates[j] for j in made}
                unchanged |= {candidates[j] for j in same}
            except StoreError:
                pass
        self.found_stored = len(unchanged) * 2 > count
        owners = summary.owners
        summary.created += len(created)
        summary.unchanged += len(unchanged)
        if len(created) + len(unchanged) == count:  # (every one written)
            for rows, fast in groups:
                owners.update(map(rows.owners.__getitem__, map(itemgetter(0), fast)))
        else:
            spans = [(rows, start, end) for rows, fast in groups for start, end in fast]
            for i, (rows, start, end) in enumerate(spans):
                if i in created or i in unchanged:
                    owners[rows.owners[start]] += 1
                else:
                    self._per_record(rows, start, end, hashes[i])
        if colliding:
            run.batch.sort(key=lambda item: item[1][0])  # (each one's first accepted line)

    def _built(self, rows: _Rows, fast: list[tuple[int, int]]) -> tuple[list[list], Any]:
        """The header columns (the records' hashes last) and child tables' rows of ``rows``' records ``fast``."""
        heads, parts = self.kind.mapper.build_columns(rows.values, rows.owners, fast, self.header_fields,
                                                      self.child_fields)
        owners = rows.owners
        prefixes = {owner: self.run.hash_prefix(owner, 0) for owner in set(owners)}
        if len(prefixes) == 1:
            each = [*prefixes.values()] * len(fast)
        else:
            each = [prefixes[owners[s]] for s, _ in fast]
        return [*heads, span_hashes(rows.texts, fast, each)], parts

    def _colliding(self, keys: list[tuple]) -> set[int]:
        """The positions of ``keys`` that another of them, or a record of the run's batch, has too."""
        batch = {item[0].key_values for item in self.run.batch}
        if len(set(keys)) == len(keys) and not batch:
            return set()
        counts = Counter(keys)
        return {i for i, key in enumerate(keys) if counts[key] > 1 or key in batch}

    def _per_record(self, rows: _Rows, start: int, end: int, content_hash: str) -> None:
        """Map a record's rows with the per-row mapper into the run's batch (``write_batch`` decides)."""
        run = self.run
        owner = rows.owners[start]
        canonical = [self.row(rows.columns, rows.lines, i) for i in range(start, end)]
        result = run.handler.mapper.map_rows(canonical, run.options_for(owner), 0)
        raw_by_line = {row.line: row.values for row in canonical}
        if result.record is None:
            run.sink.add(list(result.problems), raw_by_line, owner)
            return
        run.batch.append((run.handler.aggregate(result.record, content_hash), result.accepted_lines,
                          list(result.problems), raw_by_line))


def _field_widths(kind: Any) -> dict[str, int]:
    """The width of the ``String(n)`` column each field of the kind's columnar values goes in (a field in
    two columns: the narrower), as ``build_columns`` takes them: header fields by name, the child tables' fields
    through the mapper's ``LINE_SOURCES`` where it has one."""
    found: dict[str, int] = {}
    sources = getattr(kind.mapper, "LINE_SOURCES", {})
    tables = [(kind.model.__table__, kind.header, {}), *((model.__table__, pairs, sources) for model, _, pairs in kind.children)]
    for table, fields, sources in tables:
        limits = column_widths(table)
        for column, field in fields:
            if column in limits and field != "owner_id":
                name = sources.get(field, field)
                found[name] = min(found.get(name, limits[column]), limits[column])
    return found
