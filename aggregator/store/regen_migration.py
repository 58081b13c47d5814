"""Regenerate the single pre-release migration ``0001_initial`` from the models.

Until the first release the project keeps one initial revision. After changing models run
``python -m aggregator.store.regen_migration``; it autogenerates the revision against an empty
SQLite database, so the output depends only on the metadata.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from aggregator.store.db import MIGRATIONS_DIR, alembic_config, create_engine_for

TARGET = MIGRATIONS_DIR / "versions" / "0001_initial.py"


def regenerate() -> Path:
    for old in (MIGRATIONS_DIR / "versions").glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine_for(f"sqlite:///{Path(tmp) / 'empty.sqlite'}")
        cfg = alembic_config(engine)
        command.revision(cfg, message="initial", autogenerate=True, rev_id="0001")
        engine.dispose()
    produced = next((MIGRATIONS_DIR / "versions").glob("0001_*.py"))
    text = produced.read_text()
    lines = [ln for ln in text.splitlines() if not ln.startswith("Create Date:")]
    produced.unlink()
    TARGET.write_text("\n".join(lines) + "\n")
    return TARGET


if __name__ == "__main__":
    print(f"wrote {regenerate()}")
