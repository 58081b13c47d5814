"""House rule: ``matching`` is pure — importing all of it loads no aggregator, SQLAlchemy or HTTP client."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_matching_imports_no_database_web_or_http_code():
    modules = sorted(p.relative_to(REPO).with_suffix("").as_posix().replace("/", ".")
                     for p in (REPO / "matching").rglob("*.py") if p.name != "__init__.py")
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules) +
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('aggregator', 'sqlalchemy', 'httpx', 'fastapi', 'celery', 'requests'))\n"
            "print(','.join(bad))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
    assert len(modules) >= 15
