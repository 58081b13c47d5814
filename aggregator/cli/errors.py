"""Every CLI failure ends as one clear message on standard error and a non-zero exit, never a traceback.

* ``UserError(message)``: what a verb raises for anything the user can fix (a bad ``--out``, an
  unknown owner, an empty name). Exit status 1, printed as ``Error: message``.
* ``HandledGroup``: the ``aggregator`` group's class. Whatever a verb lets escape is turned into a
  ``click`` error there:

  - the product's own refusals (unknown owner or shop, a bad profile or file, an unbalanced journal,
    a platform's refusal, …: ``USER_FACING``) → their message, exit 1 (a ``FieldRefusal`` names the
    inputs by their flags);
  - a file the system refuses (``OSError``: missing folder, permission, disk full) → the path and the
    reason, exit 1;
  - a database that does not answer → "the database did not answer", the URL's password redacted,
    exit 1;
  - anything else is a bug: ``internal error (Type): message``, exit 70 (``EX_SOFTWARE``); the
    traceback goes to the log at DEBUG (``--log-level DEBUG``), never to the terminal by default.

``click``'s own errors (usage, ``Abort``, ``Exit``) and ``SystemExit`` pass through unchanged.
"""
from __future__ import annotations

import logging
import sys

import click

log = logging.getLogger("aggregator.cli")

#: Exit status of an unexpected error (sysexits.h EX_SOFTWARE).
INTERNAL_ERROR_EXIT = 70

#: Exceptions whose message is written for the user: "module:Class" (checked only when the module is
#: already imported, so naming one here costs no import).
USER_FACING: tuple[str, ...] = (
    "aggregator.tenancy:TenancyError",
    "aggregator.tenancy:UnknownOwner",
    "aggregator.store.vault:VaultError",
    "aggregator.inventory.port:InventoryModeError",
    "aggregator.matching_service.policy_file:PolicyFileError",
    "aggregator.exceptions_queue.actions:QueueRefusal",
    "aggregator.exceptions_queue.queries:ExceptionNotFound",
    "aggregator.exceptions_queue.queries:BadFilter",
    "aggregator.exports.balance:UnbalancedJournalError",
    "aggregator.exports.xero:XeroLayoutError",
    "aggregator.exports.quickbooks:QuickBooksLayoutError",
    "aggregator.exports.dbase:DbfValueError",
    "aggregator.fx_service.statements:StatementNotFound",
    "aggregator.fx_service.locks:LockNotFound",
    "aggregator.fx_service.receivables:ItemNotOpen",
    "aggregator.jobs.lease:LeaseHeld",
    "aggregator.sync.framework:SyncBusy",
    "aggregator.sync.marketplace:ShopNotReady",
    "platform_adapters.http.errors:PlatformError",
    "platform_adapters.profiles.model:ProfileError",
    "platform_adapters.tabular.errors:TabularError",
    "platform_adapters.auth:AuthorizationRevoked",
    "fx.currencies:UnknownCurrency",
    "fx.locks:LockError",
    "fx.sources.http:FetchError",
    "fx.sources.base:SourceFormatError",
    "fx.convert:RateNotFound",
    "fx.recognition:UnmappedKind",
)


class UserError(click.ClickException):
    """A failure the user can fix: printed as ``Error: <message>``, exit status 1."""

    exit_code = 1


class InternalError(click.ClickException):
    """An unexpected failure (a bug): one line, exit status 70, the traceback in the DEBUG log."""

    exit_code = INTERNAL_ERROR_EXIT

    def format_message(self) -> str:
        return self.message


def _is_user_facing(exc: BaseException) -> bool:
    for entry in USER_FACING:
        module_name, _, class_name = entry.partition(":")
        module = sys.modules.get(module_name)
        cls = getattr(module, class_name, None) if module is not None else None
        if isinstance(cls, type) and isinstance(exc, cls):
            return True
    return False


def _database_error(exc: BaseException) -> bool:
    module = sys.modules.get("sqlalchemy.exc")
    if module is None:
        return False
    return isinstance(exc, (module.OperationalError, module.InterfaceError)) or (
        isinstance(exc, module.DBAPIError) and bool(getattr(exc, "connection_invalidated", False)))


def _redacted(text: str) -> str:
    from aggregator.logging_setup import redact_text

    return redact_text(text)


def as_click_error(exc: BaseException) -> BaseException:
    """The ``click`` error to raise for ``exc`` (``exc`` itself when click already knows it)."""
    if isinstance(exc, (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit, KeyboardInterrupt)):
        return exc
    if _is_user_facing(exc):
        from aggregator.refusals import FieldRefusal, cli_flag

        text = exc.render(cli_flag) if isinstance(exc, FieldRefusal) else str(exc)  # inputs named by their flags
        return UserError(_redacted(text) or type(exc).__name__)
    if _database_error(exc):
        orig = getattr(exc, "orig", None) or exc
        lines = str(orig).strip().splitlines()
        first = lines[0] if lines else type(orig).__name__
        return UserError(f"the database did not answer ({_redacted(first)}); check that it is running and "
                         "that AGGREGATOR_DATABASE_URL points to it, then run the command again")
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        return UserError(f"{where}{exc.strerror or exc}")
    log.debug("internal error", exc_info=exc)
    return InternalError(f"internal error ({type(exc).__name__}): {_redacted(str(exc)) or 'no message'} — "
                         "this is a bug; run again with --log-level DEBUG for the traceback and report it")


class HandledGroup(click.Group):
    """A ``click.Group`` that turns whatever a verb lets escape into a clear ``click`` error."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except Exception as exc:  # noqa: BLE001 - translated, never swallowed
            translated = as_click_error(exc)
            if translated is exc:
                raise
            raise translated from exc
