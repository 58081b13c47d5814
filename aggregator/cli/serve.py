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

    from aggregator.store.vault import Vault

    settings = app.settings
    operator = settings.operator_api_key.get_secret_value() if settings.operator_api_key else None
    enqueue = None
    if settings.jobs_mode == "celery":
        from aggregator.jobs.celery_app import make_celery

        celery = make_celery(settings)

        def enqueue(event_pk: int) -> None:
            celery.send_task("aggregator.apply_webhook", args=[event_pk], queue=settings.task_queue)

    api = create_app(app.ready_engine(), operator_key=operator, vault=Vault.from_settings(settings),
                     public_base_url=settings.public_base_url, enqueue_webhook=enqueue)
    uvicorn.run(api, host=host or settings.api_host, port=port or settings.api_port, log_config=None)
