"""Persistence: SQLAlchemy 2 models, Alembic migrations, idempotent upserts, the audit log.

Only this package (and the services in ``aggregator`` that use it) talks to the database.
"""
