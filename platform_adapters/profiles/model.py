"""The ``Profile`` record and its validation (field names, kinds, columns, encodings, time zones)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from platform_adapters.profiles.kinds import KINDS
from platform_adapters.tabular.layout import TableLayout, codec_for


class ProfileError(ValueError):
    """A profile file that cannot be used: which file and what is wrong with it."""


PROFILE_FIELDS = {
    "name", "kind", "description", "format", "encoding", "delimiter", "sheet", "header_row", "header_rows",
    "header_joiner", "timezone", "date_formats", "datetime_formats", "true_values", "false_values",
    "columns", "defaults", "max_field_chars",
}


@dataclass(frozen=True)
class Profile:
    """How to read one layout of one kind. ``columns`` maps canonical column -> source header."""

    name: str
    kind: str
    description: str = ""
    format: str | None = None
    encoding: str = "utf-8"
    delimiter: str = ","
    sheet: str | None = None
    header_row: int = 1
    header_rows: int = 1
    header_joiner: str = " "
    timezone: str | None = None
    date_formats: tuple[str, ...] = ()
    datetime_formats: tuple[str, ...] = ()
    true_values: tuple[str, ...] = ()
    false_values: tuple[str, ...] = ()
    columns: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    max_field_chars: int = 100_000

    @property
    def layout(self) -> TableLayout:
        return TableLayout(format=self.format, encoding=self.encoding, delimiter=self.delimiter, sheet=self.sheet,
                           header_row=self.header_row, header_rows=self.header_rows,
                           header_joiner=self.header_joiner, max_field_chars=self.max_field_chars)

    def with_overrides(self, *, encoding: str | None = None, timezone: str | None = None) -> Profile:
        """A copy with the command line's ``--encoding`` / ``--timezone`` applied, validated again."""
        changed = replace(self, encoding=encoding or self.encoding, timezone=timezone or self.timezone)
        validate(changed, source="command line")
        return changed


def validate(profile: Profile, source: str) -> None:
    """Raise ProfileError naming ``source`` when the profile is inconsistent."""
    def fail(reason: str) -> None:
        raise ProfileError(f"profile {profile.name!r} ({source}): {reason}")

    if profile.kind not in KINDS:
        fail(f"unknown kind {profile.kind!r}; tabular kinds are {', '.join(KINDS)}")
    kind = KINDS[profile.kind]
    if profile.format not in (None, "csv", "xlsx"):
        fail(f"format must be 'csv' or 'xlsx', not {profile.format!r}")
    try:
        codec_for(profile.encoding)
    except ValueError as exc:
        fail(str(exc))
    if len(profile.delimiter) != 1:
        fail("delimiter must be one character")
    if profile.header_row < 1 or profile.header_rows < 1:
        fail("header_row and header_rows must be at least 1")
    if profile.timezone is not None:
        try:
            ZoneInfo(profile.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            fail(f"unknown time zone {profile.timezone!r} (use an IANA name such as Asia/Shanghai)")
    unknown = sorted((set(profile.columns) | set(profile.defaults)) - set(kind.all_columns))
    if unknown:
        fail(f"not columns of kind {profile.kind!r}: {', '.join(unknown)}")
    for name, value in list(profile.columns.items()) + list(profile.defaults.items()):
        if not isinstance(value, str):
            fail(f"value for {name!r} must be a string, got {type(value).__name__}")
    for formats in (profile.date_formats, profile.datetime_formats):
        for fmt in formats:
            if not isinstance(fmt, str) or "%" not in fmt:
                fail(f"date format {fmt!r} is not a strptime pattern")
