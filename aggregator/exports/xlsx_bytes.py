"""An openpyxl workbook as reproducible bytes: the same cells always give the same file.

openpyxl stamps the save time into ``docProps/core.xml`` and the zip entries carry the current
time; both are replaced by one given instant so that re-exporting a period is byte-identical.
"""
from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

from openpyxl import Workbook

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def workbook_bytes(workbook: Workbook, stamp: datetime) -> bytes:
    """Save ``workbook`` with ``stamp`` (naive UTC) as its created/modified time and fixed zip times."""
    workbook.properties.creator = "aggregator"
    workbook.properties.created = stamp
    raw = io.BytesIO()
    workbook.save(raw)
    stamp_text = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _CORE_DATES.sub(lambda m: m.group(1) + stamp_text + m.group(3), data)
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, data)
    return out.getvalue()
