"""Builds the FastAPI application: API routers, problem+json errors, the input guard, offline docs,
the web app (``aggregator.web.pages``) and the health check."""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine, text

from aggregator import __version__
from aggregator.api import docs, problems
from aggregator.api.bounds import InputGuard
from aggregator.api.path_ids import EncodedSlashes
from aggregator.api.routes import (
    analytics, events, exceptions, exports, fx, fx_revaluations, jobs, logistics, lookup, lots, operations, orders,
    session, settlements, title, title_holdings, webhooks,
)
from aggregator.store.db import read_only_engine, session_factory, statement_reads
from aggregator.store.vault import Vault
from aggregator.transport_pool import TransportPool
from aggregator.web import pages

OPENAPI_URL = "/api/openapi.json"


def create_app(engine: Engine, operator_key: str | None = None, *, vault: Vault | None = None,
               public_base_url: str | None = None,
               enqueue_webhook: Callable[[int], None] | None = None) -> FastAPI:
    """``vault`` enables the webhook endpoints (they verify with each shop's app secret);
    ``enqueue_webhook`` hands stored events to Celery instead of this process's background."""
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if getattr(app.state, "outbox_watcher", None) is not None:
            app.state.outbox_watcher.close()
        app.state.transports.close()

    app = FastAPI(title="Cross-border aggregator", version=__version__, docs_url=None, lifespan=lifespan,
                  openapi_url=OPENAPI_URL, redoc_url=None,
                  description="Orders linked to lots, containers, bills of lading, customs entries and title, "
                              "for the owner of the API key. Errors are RFC 9457 problem+json.")
    app.state.engine = engine
    app.state.sessions = session_factory(engine)  # writes (webhooks)
    app.state.read_sessions = session_factory(read_only_engine(engine))  # every GET
    app.state.statement_sessions = session_factory(statement_reads(engine))  # GETs of stand-alone statements
    app.state.operator_key = operator_key
    app.state.vault = vault
    app.state.public_base_url = public_base_url
    app.state.enqueue_webhook = enqueue_webhook
    app.state.transports = TransportPool()  # long-lived marketplace clients for applying pushes
    problems.install(app)
    app.add_middleware(EncodedSlashes)  # inside InputGuard: runs on a path it has checked
    app.add_middleware(InputGuard)
    app.include_router(orders.router)
    app.include_router(operations.router)
    app.include_router(exceptions.router)
    app.include_router(jobs.router)
    app.include_router(logistics.router)
    app.include_router(lots.router)
    app.include_router(lookup.router)
    app.include_router(title_holdings.router)
    app.include_router(title.router)
    app.include_router(fx.router)
    app.include_router(fx_revaluations.router)
    app.include_router(exports.router)
    app.include_router(events.router)
    app.include_router(settlements.router)
    app.include_router(analytics.router)
    app.include_router(session.router)
    app.include_router(webhooks.router)
    docs.install(app, OPENAPI_URL)

    @app.get("/healthz", tags=["health"])
    def health() -> dict[str, str]:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        return {"status": "ok", "version": __version__}

    pages.install(app)  # the web app: / and /static (aggregator/web/)
    return app
