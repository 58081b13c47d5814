"""``aggregator export journal``: an owner's balanced FX journals of a period as a finance import file
(canonical CSV/XLSX, Xero, QuickBooks Online or Kingdee). The work is in ``aggregator.exports``."""
from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import click

from aggregator.cli.context import AppContext, pass_app
from aggregator.cli.owner_option import owner_option


def _range(period: str | None, first: str | None, last: str | None) -> tuple[date, date]:
    from fx.gains import period_bounds

    if period is not None:
        if first is not None or last is not None:
            raise click.UsageError("give either --period or --from/--to, not both")
        try:
            return period_bounds(period)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--period") from exc
    if first is None or last is None:
        raise click.UsageError("give --period YYYY-MM, or both --from and --to")
    try:
        start, end = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError as exc:
        raise click.BadParameter(f"dates are YYYY-MM-DD: {exc}") from exc
    if end < start:
        raise click.BadParameter(f"--to {end} is before --from {start}")
    return start, end


def _account_names(path: Path | None) -> dict[str, str]:
    """A CSV with columns ``code,name`` (QuickBooks account names)."""
    if path is None:
        return {}
    with path.open(newline="", encoding="utf-8-sig") as stream:
        reader = csv.DictReader(stream)
        if not reader.fieldnames or {"code", "name"} - set(reader.fieldnames):
            raise click.BadParameter("the account map needs the columns code,name", param_hint="--account-names")
        return {row["code"].strip(): row["name"].strip() for row in reader if row["code"].strip()}


@click.command(name="journal", help="Export an owner's balanced FX journals of a period for finance import.")
@owner_option(required=True, help="Owner (tenant) id: only its journals are exported.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "xero", "quickbooks", "kingdee"]),
              required=True)
@click.option("--period", default=None, help="YYYY-MM (the whole month).")
@click.option("--from", "first", default=None, help="First journal date, YYYY-MM-DD.")
@click.option("--to", "last", default=None, help="Last journal date, YYYY-MM-DD (inclusive).")
@click.option("--out", required=True,
              help="File to write (Xero exports over 300 lines become FILE-001, FILE-002, …).")
@click.option("--entity", default=None, help="Booking entity written on every row (default: the owner id).")
@click.option("--xero-tax-rate", default="Tax Exempt", show_default=True,
              help="Xero: the tax rate name for journal lines, as in the organisation's tax settings.")
@click.option("--account-names", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="QuickBooks: CSV code,name mapping account codes to QBO account names.")
@click.option("--preparer", default="aggregator", show_default=True, help="Kingdee: 制单人 (FPREPARE).")
@pass_app
def journal(app: AppContext, owner_id: str, fmt: str, period: str | None, first: str | None, last: str | None,
            out: str, entity: str | None, xero_tax_rate: str, account_names: Path | None, preparer: str) -> None:
    from aggregator.exports.files import EXPORT_REFUSALS, export_journals
    from aggregator.exports.registry import LayoutOptions
    from aggregator.store.db import session_scope

    from aggregator.cli.output import check_out_path

    target = check_out_path(out)
    start, end = _range(period, first, last)
    options = LayoutOptions(stamp_day=end, xero_tax_rate=xero_tax_rate, account_names=_account_names(account_names),
                            kingdee_preparer=preparer)
    try:
        with session_scope(app.ready_engine()) as session:
            result = export_journals(session, owner_id, fmt, start, end, target, entity=entity, options=options)
    except EXPORT_REFUSALS as exc:
        raise click.ClickException(str(exc)) from exc
    for path, digest in zip(result.files, result.sha256):
        click.echo(f"wrote {path} sha256 {digest}")
    click.echo(f"{len(result.journals)} journal(s), {result.lines} line(s), {start}..{end}, owner {owner_id}, "
               f"rounding {','.join(result.rounding_modes) or '-'}; every journal balances", err=True)
