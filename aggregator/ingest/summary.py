"""What an import run reports back: counts, status, problems by code, where the report went."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from platform_adapters.canonical.common import Problem


@dataclass
class ImportSummary:
    file: str
    kind: str
    owner_id: str | None  # the --owner given; None: each row's owner came from the row
    status: str = "RUNNING"  # COMPLETED, COMPLETED_WITH_REJECTS, FAILED, ALREADY_IMPORTED
    import_id: int | None = None
    profile: str | None = None
    rows_read: int = 0
    rows_rejected: int = 0
    warnings: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    error: str | None = None
    problem_counts: Counter = field(default_factory=Counter)
    sample_problems: list[Problem] = field(default_factory=list)
    report_path: Path | None = None
    owners: Counter = field(default_factory=Counter)  # records stored per owner

    @property
    def records(self) -> int:
        return self.created + self.updated + self.unchanged + self.stale

    @property
    def clean(self) -> bool:
        """True when nothing was rejected and the file was read to the end."""
        return self.status in ("COMPLETED", "ALREADY_IMPORTED")

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def describe(self) -> str:
        if self.status == "ALREADY_IMPORTED":
            return f"{self.file}: already imported as #{self.import_id} (same content); nothing to do"
        if self.status == "FAILED":
            return f"{self.file}: FAILED: {self.error}"
        text = (f"{self.file} [{self.kind}]: {self.rows_read} rows, {self.records} records "
                f"({self.created} new, {self.updated} updated, {self.unchanged} unchanged, {self.stale} stale), "
                f"{self.rows_rejected} rows rejected, {self.warnings} warnings")
        if self.owners and (self.owner_id is None or len(self.owners) > 1):
            text += "; records by owner: " + ", ".join(f"{o} {n}" for o, n in sorted(self.owners.items()))
        if self.problem_counts:
            text += " — " + ", ".join(f"{code}: {n}" for code, n in self.problem_counts.most_common())
        return text
