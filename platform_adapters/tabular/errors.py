"""The one error a tabular read raises when a whole file cannot be read: where and why."""
from __future__ import annotations


class TabularError(Exception):
    """A file-level problem (wrong encoding, no header, missing columns, unreadable workbook).

    ``location`` says where (``file:line`` or ``file``), ``reason`` says why, in words a user can act on.
    """

    def __init__(self, location: str, reason: str, code: str = "unreadable") -> None:
        super().__init__(f"{location}: {reason}")
        self.location = location
        self.reason = reason
        self.code = code
