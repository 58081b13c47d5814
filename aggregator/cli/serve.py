"""The ``serve`` verb: the REST API and the web page under uvicorn."""
from __future__ import annotations

import click

from aggregator.cli.context import AppContext, pass_app


@click.command(name="serve", help="Serve the REST API (/api/docs) and the web page (/) with uvicorn.")
@click.option("--host", default=None, help="Bind address (default from settings: 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default from settings: 8000).")
@pass_app
def command(app: AppContext, host: str | None, port: int | None) -> None:
    import uvicorn

    from aggregator.api.app import create_app

    settings = app.settings
    operator = settings.operator_api_key.get_secret_value() if settings.operator_api_key else None
    api = create_app(app.ready_engine(), operator_key=operator)
    uvicorn.run(api, host=host or settings.api_host, port=port or settings.api_port, log_config=None)
