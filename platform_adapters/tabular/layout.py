"""How a tabular file is laid out physically: format, encoding, sheet, header position, separators."""
from __future__ import annotations

from dataclasses import dataclass

SUPPORTED_ENCODINGS = {
    # requested name -> codec used to decode. UTF-8 tolerates a byte-order mark; GBK files are read
    # with GB18030, its superset, so that every valid GBK file decodes identically.
    "utf-8": "utf-8-sig",
    "utf8": "utf-8-sig",
    "utf-8-sig": "utf-8-sig",
    "utf-8-bom": "utf-8-sig",
    "utf-16": "utf-16",  # with its byte-order mark (Excel's "Unicode Text")
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "gb18030": "gb18030",
    "cp936": "gb18030",
}


def codec_for(encoding: str) -> str:
    """The Python codec to use for a declared encoding name; ValueError for unsupported names."""
    key = encoding.strip().lower().replace("_", "-")
    if key not in SUPPORTED_ENCODINGS:
        raise ValueError(f"unsupported encoding {encoding!r}; use one of utf-8, utf-8-sig, utf-16, gbk, gb18030")
    return SUPPORTED_ENCODINGS[key]


@dataclass(frozen=True, slots=True)
class TableLayout:
    """Physical layout of a file. ``header_row`` is 1-based; ``header_rows`` > 1 joins stacked headers."""

    format: str | None = None  # "csv" or "xlsx"; None = from the file extension
    encoding: str = "utf-8"
    delimiter: str = ","
    sheet: str | None = None
    header_row: int = 1
    header_rows: int = 1
    header_joiner: str = " "
    max_field_chars: int = 100_000

    def resolved_format(self, filename: str) -> str:
        if self.format:
            return self.format
        lower = filename.lower()
        if lower.endswith((".xlsx", ".xlsm")):
            return "xlsx"
        return "csv"
