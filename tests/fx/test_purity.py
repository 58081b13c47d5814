"""The fx package stays pure: parsing and accounting never import the application, SQLAlchemy or httpx."""
from __future__ import annotations

import subprocess
import sys


def test_fx_imports_no_application_database_or_http_code() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import fx\n"
        "for info in pkgutil.walk_packages(fx.__path__, 'fx.'):\n"
        "    if info.name != 'fx.sources.http':  # the one module allowed to import httpx (fetchers)\n"
        "        importlib.import_module(info.name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'aggregator', 'sqlalchemy', 'httpx', "
        "'platform_adapters', 'matching'})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
