"""Builds the FastAPI application: API routers, the static web page, health check."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text

from aggregator import __version__
from aggregator.api.routes import operations, orders
from aggregator.store.db import session_factory

STATIC_DIR = Path(__file__).resolve().parent.parent / "web" / "static"


def create_app(engine: Engine, operator_key: str | None = None) -> FastAPI:
    app = FastAPI(title="Cross-border aggregator", version=__version__, docs_url="/api/docs",
                  openapi_url="/api/openapi.json", redoc_url=None)
    app.state.sessions = session_factory(engine)
    app.state.operator_key = operator_key
    app.include_router(orders.router)
    app.include_router(operations.router)

    @app.get("/healthz", tags=["health"])
    def health() -> dict[str, str]:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        return {"status": "ok", "version": __version__}

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    return app
