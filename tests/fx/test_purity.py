"""The fx package stays pure: parsing and accounting never import the application, SQLAlchemy or httpx."""
from __future__ import annotations

import subprocess
import sys


def test_fx_imports_no_application_database_or_http_code() -> None:
    code = (
        "import sys\n"
        "import fx, fx.money, fx.rates, fx.allocation, fx.convert, fx.locks, fx.gains, fx.journal\n"
        "import fx.sources.ecb, fx.sources.mas, fx.sources.json_provider, fx.sources.bank_csv\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'aggregator', 'sqlalchemy', 'httpx', "
        "'platform_adapters', 'matching'})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
