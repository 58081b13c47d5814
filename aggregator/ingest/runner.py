"""The import runner: one file of one kind, end to end.

Each row's owner comes from the row (owner aliases, the registered shop, the stored record it names:
``aggregator.owners.attribution``) unless ``owner_id`` (``--owner``, an existing owner) is given.
Content hash first (same content of the same kind already imported, read with the same profile,
encoding, zone and owner → nothing to do), then an
``import_files`` row, then the kind's importer, then the final counts and status; rejects are in
``import_rejects`` and, when asked, written to a CSV report; an import that lost rows or failed parks one
item in the exceptions queue for operations to resolve, which a later run of the same import (the same
``import_files`` row) completing with no rejects closes. File-level problems (wrong encoding,
missing columns, empty file, not JSON) mark the import FAILED with the reason and store nothing; so
does any other error (the database refusing or losing the connection): an import never stays RUNNING.
"""
from __future__ import annotations

import hashlib
import logging
from contextlib import ExitStack
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError

from aggregator.ingest.json_import import import_dcsa
from aggregator.ingest.preread import pre_read_ahead
from aggregator.ingest.report import write_report
from aggregator.ingest.summary import ImportSummary
from aggregator.ingest.tabular_import import import_tabular, reads_columns
from aggregator.logging_setup import redact_text
from aggregator.store.db import session_factory
from aggregator.store.wal_checkpoint import checkpoints_beside
from aggregator.exceptions_queue.writes import close, park
from aggregator.store.retry import with_db_retry
from aggregator.store.models.exceptions import ExceptionItem
from aggregator.store.models.logistics import ImportFileRow, ImportRejectRow
from aggregator.tenancy import require_owner
from platform_adapters.profiles import (
    ALL_KINDS,
    JSON_KINDS,
    Profile,
    ProfileError,
    load_profile,
    standard_profile,
)
from platform_adapters.tabular.control import visible
from platform_adapters.tabular.errors import TabularError
from platform_adapters.tabular.plain_csv import PlainScan, may_be_plain

log = logging.getLogger(__name__)

#: An import in this state is not run again for the same content; one that rejected rows is (an alias or
#: a shop added since, or the file the rows refer to imported since, may let them in; stored rows are
#: unchanged).
DONE = ("COMPLETED",)


def file_digest(path: Path, count_lines: bool = True) -> tuple[str, int, int | None]:
    """sha256 of the content, its size and its number of newlines (for progress; None unless
    ``count_lines``: a pass over the bytes that costs half the hashing)."""
    digest, size, lines = hashlib.sha256(), 0, 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
            if count_lines:
                lines += block.count(b"\n")
    return digest.hexdigest(), size, lines if count_lines else None


def resolve_profile(kind: str, profile: str | Profile | None, encoding: str | None, tz: str | None) -> Profile:
    if isinstance(profile, Profile):
        chosen = profile
    elif profile:
        chosen = load_profile(profile)
    else:
        chosen = standard_profile(kind)
    if chosen.kind != kind:
        raise ProfileError(f"profile {chosen.name!r} is for kind {chosen.kind!r}, not {kind!r}")
    return chosen.with_overrides(encoding=encoding, timezone=tz)


def _park(session, summary: ImportSummary, import_pk: int) -> None:
    """One open exception per import that lost rows or failed, pointing at its rejects (not one per row)."""
    if summary.status == "FAILED":
        reason = f"file rejected: {summary.error}"
    else:
        reason = f"{summary.rows_rejected} row(s) rejected; see import_rejects for import #{import_pk}"
    park(session, owner_id=summary.owner_id, source=f"import:{summary.kind}", kind="import_rejects", reason=reason,
         raw_payload={"import_id": import_pk, "file": summary.file, "profile": summary.profile,
                      "problems": [p.describe() for p in summary.sample_problems]},
         location=summary.file, record_key=f"import_files:{import_pk}")


def _clear(session, summary: ImportSummary, import_pk: int) -> None:
    """Close the import's open exception item, if it has one: this run of it (the same ``import_files`` row,
    run again, its earlier rejects deleted at its start) completed with none. Only this import's item: another
    import's, whose rows may still be rejected, is its own."""
    items = session.scalars(select(ExceptionItem).where(
        ExceptionItem.queue == "parked", ExceptionItem.source == f"import:{summary.kind}",
        ExceptionItem.record_key == f"import_files:{import_pk}", ExceptionItem.status == "open")).all()
    for item in items:
        close(session, item, note=f"import #{import_pk} run again and completed with no rejects",
              actor="import")


def _close(session, summary: ImportSummary, import_pk: int, again: bool) -> None:
    """Write the import's final status and counts (and open or close its exception item) in one transaction.
    ``again``: this run is a later run of an import recorded before (only such an import can have an item)."""
    try:
        row = session.get(ImportFileRow, import_pk)
        row.status, row.error = summary.status, summary.error
        row.rows_read, row.rows_rejected, row.warnings = summary.rows_read, summary.rows_rejected, summary.warnings
        row.records_created, row.records_updated = summary.created, summary.updated
        row.records_unchanged, row.records_stale = summary.unchanged, summary.stale
        row.finished_at = datetime.now(UTC)
        if summary.status in ("FAILED", "COMPLETED_WITH_REJECTS"):
            _park(session, summary, import_pk)
        elif again:
            _clear(session, summary, import_pk)
        session.commit()
    except BaseException:
        session.rollback()
        raise


def import_file(engine: Engine, kind: str, path: str | Path, *, owner_id: str | None = None,
                profile: str | Profile | None = None, encoding: str | None = None, timezone_name: str | None = None,
                report_path: str | Path | None = None, chunk_rows: int = 10_000,
                progress: Callable[[int, int], None] | None = None, bulk: bool = True) -> ImportSummary:
    """Import ``path`` as ``kind``. Raises ValueError/ProfileError for usage errors only (``UnknownOwner``,
    a ValueError, when ``owner_id`` names no owner)."""
    if kind not in ALL_KINDS:
        raise ValueError(f"unknown kind {kind!r}; kinds are {', '.join(ALL_KINDS)}")
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    chosen = None if kind in JSON_KINDS else resolve_profile(kind, profile, encoding, timezone_name)
    summary = ImportSummary(file=str(path), kind=kind, owner_id=owner_id, profile=chosen.name if chosen else None)
    if chosen is None:
        read_options = f"encoding={encoding or 'utf-8'}"
    else:
        read_options = f"profile={chosen.name};encoding={chosen.encoding};timezone={chosen.timezone or ''}"
    read_options += f";owner={owner_id}" if owner_id else ";owner=per-row"
    # whatever way the import ends, the reads begun beside it are stopped and waited for, then the session
    # closed (the stack unwinds in reverse: each callback runs even when one before it raised)
    with ExitStack() as ending:
        session = session_factory(engine)()
        ending.callback(session.close)
        scan = ahead = None
        # a CSV read column by column: whether it is plain found from now, beside the hash and the database's
        # setup
        if chosen is not None and reads_columns(kind, bulk) and may_be_plain(path, chosen.layout):
            scan = PlainScan(path, chosen.layout)
            ending.callback(scan.close)
        # and of a kind whose records have lines, which of them are spread over the file, the same way
        if chosen is not None:
            ahead = pre_read_ahead(path, kind, chosen, owner_id)
            if ahead is not None:
                ending.callback(ahead.close)
        digest, size, total_lines = file_digest(path, count_lines=progress is not None)
        if owner_id is not None:
            require_owner(session, owner_id)
        existing = session.execute(select(ImportFileRow).where(
            ImportFileRow.kind == kind, ImportFileRow.content_hash == digest,
            ImportFileRow.read_options == read_options)).scalar_one_or_none()
        if existing is not None and existing.status in DONE:
            summary.status, summary.import_id = "ALREADY_IMPORTED", existing.id
            return summary
        again = existing is not None
        if existing is None:
            existing = ImportFileRow(owner_id=owner_id, kind=kind, content_hash=digest, read_options=read_options,
                                     file_name=str(path), size_bytes=size, profile=summary.profile,
                                     status="RUNNING")
            session.add(existing)
        else:  # an earlier attempt failed or rejected rows: run again on the same row, forgetting its rejects
            session.execute(delete(ImportRejectRow).where(ImportRejectRow.import_file_pk == existing.id))
            existing.status, existing.error, existing.profile = "RUNNING", None, summary.profile
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            summary.status, summary.error = "FAILED", "the same content is being imported by another run"
            return summary
        summary.import_id = import_pk = existing.id

        def tick(rows: int) -> None:
            if progress:
                progress(rows, total_lines)

        try:
            with checkpoints_beside(session):  # (SQLite: each chunk's commit leaves the WAL's copy to a thread)
                if kind in JSON_KINDS:
                    import_dcsa(session, import_pk=import_pk, path=path, kind=kind, owner_id=owner_id,
                                encoding=encoding or "utf-8", summary=summary)
                else:
                    import_tabular(session, import_pk=import_pk, path=path, kind=kind, profile=chosen,
                                   owner_id=owner_id, summary=summary, chunk_rows=chunk_rows, progress=tick,
                                   bulk=bulk, plain_scan=scan, pre_read=ahead)
            summary.status = "COMPLETED_WITH_REJECTS" if summary.rows_rejected else "COMPLETED"
        except (TabularError, ProfileError) as exc:
            session.rollback()
            summary.status, summary.error = "FAILED", visible(str(exc))
            summary.problem_counts[getattr(exc, "code", "profile")] += 1
        except Exception as exc:  # anything else (the database refusing a value, going away): FAILED, said why
            session.rollback()
            summary.status = "FAILED"
            summary.error = visible(redact_text(f"import stopped by {type(exc).__name__}: "
                                                f"{str(exc).splitlines()[0][:500] if str(exc) else ''}"))
            summary.problem_counts["internal_error"] += 1
            log.error("import #%s of %s failed: %s", import_pk, path.name, summary.error)
        with_db_retry(lambda: _close(session, summary, import_pk, again), what=f"closing import #{import_pk}")
        if report_path is not None and (summary.rows_rejected or summary.warnings or summary.error):
            summary.report_path = write_report(session, import_pk, Path(report_path), summary)
        return summary
