"""Shared streaming reader for tabular files (CSV and XLSX) and the value parsers the mappers use.

``open_table`` yields rows in bounded chunks with their physical line numbers; a profile renames the
source headers onto a kind's canonical column names. Nothing here touches the database.
"""
from platform_adapters.tabular.errors import TabularError
from platform_adapters.tabular.layout import TableLayout
from platform_adapters.tabular.reader import SourceRow, TableReader, open_table

__all__ = ["SourceRow", "TableLayout", "TableReader", "TabularError", "open_table"]
