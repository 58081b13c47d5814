"""The ``import`` verb: ``aggregator import KIND FILE… [--profile NAME] [--owner ID] [--encoding …]
[--timezone …] [--report FILE]``.

Exit status: 0 when every file imported cleanly (or was already imported), 1 when a row or a file
was rejected, 2 on usage errors (unknown kind or profile, missing file, bad option value).
"""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from aggregator.cli.context import AppContext, pass_app
from aggregator.cli.owner_option import owner_option

KINDS = ("bl", "dcsa-ebl", "dcsa-events", "customs", "inbound", "outbound", "stock")
PROGRESS_MIN_BYTES = 5 * 1024 * 1024


@click.command(name="import")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--profile", "profile_name", default=None,
              help="Bundled profile name (see docs/formats.md) or path of a .toml/.json profile file.")
@owner_option(help="Every row is this owner's. Default: each row's owner comes from the row (owner aliases, the "
                   "registered shop, the stored record it names); a row naming no known owner is rejected.")
@click.option("--encoding", default=None, help="Override the profile's encoding: utf-8, utf-8-sig, utf-16 (with its byte-order mark), gbk, gb18030.")
@click.option("--timezone", "timezone_name", default=None,
              help="IANA zone for local date-times without an offset (e.g. Asia/Kuala_Lumpur).")
@click.option("--report", "report_path", default=None, type=click.Path(dir_okay=False),
              help="CSV file for rejected rows and warnings (default: <data-dir>/reports/import-<time>.csv).")
@click.option("--chunk-rows", default=10_000, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Rows read and committed per chunk.")
@pass_app
def command(app: AppContext, kind: str, files: tuple[str, ...], profile_name: str | None, owner_id: str | None,
            encoding: str | None, timezone_name: str | None, report_path: str | None, chunk_rows: int) -> None:
    """Import logistics and warehouse files of one KIND."""
    from aggregator.ingest.runner import resolve_profile
    from platform_adapters.profiles import ProfileError

    missing = [f for f in files if not Path(f).is_file()]
    if missing:
        raise click.UsageError(f"no such file: {', '.join(missing)}")
    if kind not in ("dcsa-ebl", "dcsa-events"):
        try:
            resolve_profile(kind, profile_name, encoding, timezone_name)
        except (ProfileError, ValueError) as exc:
            raise click.UsageError(str(exc)) from None
    elif profile_name:
        raise click.UsageError(f"kind {kind!r} reads DCSA JSON and takes no --profile")
    if report_path is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        report = app.settings.data_dir / "reports" / f"import-{kind}-{stamp}.csv"
    else:
        from aggregator.cli.output import check_out_path

        report = check_out_path(report_path, "--report")
    engine = app.ready_engine()
    all_clean = True
    for name in files:
        summary = _run_one(engine, kind, Path(name), owner_id, profile_name, encoding, timezone_name, report,
                           chunk_rows)
        click.echo(summary.describe())
        for problem in summary.sample_problems[:10]:
            click.echo(f"  {problem.severity.value}: {problem.describe()}")
        all_clean = all_clean and summary.clean
        if summary.report_path:
            click.echo(f"  report: {summary.report_path}")
    raise SystemExit(0 if all_clean else 1)


def _run_one(engine, kind, path: Path, owner_id, profile_name, encoding, timezone_name, report, chunk_rows):
    from aggregator.ingest import import_file

    if path.stat().st_size < PROGRESS_MIN_BYTES:
        return import_file(engine, kind, path, owner_id=owner_id, profile=profile_name, encoding=encoding,
                           timezone_name=timezone_name, report_path=report, chunk_rows=chunk_rows)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True) as bar:
        task = bar.add_task(f"importing {path.name}", total=None)

        def progress(rows: int, total_lines: int) -> None:
            bar.update(task, completed=rows, total=max(total_lines, rows))

        return import_file(engine, kind, path, owner_id=owner_id, profile=profile_name, encoding=encoding,
                           timezone_name=timezone_name, report_path=report, chunk_rows=chunk_rows,
                           progress=progress)
