"""The Celery application: tasks wrapping the job bodies, and the beat schedule.

``make_celery(settings)`` builds the app (no configuration is read at import time). Task messages
carry ids only. A shop another worker is syncing (``SyncBusy``) is retried later with a delay, so
many workers on many machines never double-sync a shop.
"""
from __future__ import annotations

from celery import Celery
from celery.schedules import crontab

from aggregator.config import Settings
from aggregator.jobs import work


def make_celery(settings: Settings) -> Celery:
    app = Celery("aggregator", broker=settings.broker_url, backend=settings.result_backend)
    app.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"],
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_default_queue=settings.task_queue, timezone="UTC", enable_utc=True,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,  # keep our redacting handler (Celery would replace it)
        task_always_eager=settings.jobs_mode == "in-process",
        beat_schedule={
            "sync-due-shops": {"task": "aggregator.sync_due", "schedule": float(settings.sync_interval_seconds)},
            "match-owners": {"task": "aggregator.match_due", "schedule": float(settings.match_interval_seconds)},
            "book-settlements": {"task": "aggregator.book_due", "schedule": float(settings.booking_interval_seconds)},
            # ECB publishes around 16:00 CET; fetch after it, and again later in case of a late publication.
            "prune-outbox": {"task": "aggregator.prune_outbox", "schedule": crontab(minute=10, hour=3)},
            "fx-ecb-daily": {"task": "aggregator.fetch_rates", "schedule": crontab(minute=30, hour="15,18"),
                             "args": ("ecb",)},
        },
    )

    @app.task(name="aggregator.sync_shop", bind=True, max_retries=20)
    def sync_shop_task(task, shop_pk: int, stream: str = "orders") -> dict:
        try:
            return work.sync_shop(settings, shop_pk, stream)
        except work.SyncBusy as exc:
            raise task.retry(exc=exc, countdown=min(300, 5 * 2 ** task.request.retries))

    @app.task(name="aggregator.fetch_rates", autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
    def fetch_rates_task(source: str = "ecb") -> dict:
        return work.fetch_rates(settings, source)

    @app.task(name="aggregator.prune_outbox")
    def prune_outbox_task() -> dict:
        return work.prune_outbox(settings)

    @app.task(name="aggregator.match_owner", bind=True, max_retries=20)
    def match_owner_task(task, owner_id: str, full: bool = False) -> dict:
        from aggregator.jobs.lease import LeaseHeld

        try:
            return work.match_owner(settings, owner_id, full)
        except LeaseHeld as exc:
            raise task.retry(exc=exc, countdown=min(300, 10 * 2 ** task.request.retries))

    @app.task(name="aggregator.match_due")
    def match_due_task() -> int:
        owners = work.owners_to_match(settings)
        for owner_id in owners:
            match_owner_task.delay(owner_id)
        return len(owners)

    @app.task(name="aggregator.book_settlements")
    def book_settlements_task(owner_id: str) -> dict:
        return work.book_settlements(settings, owner_id)

    @app.task(name="aggregator.book_due")
    def book_due_task() -> int:
        owners = work.owners_to_match(settings)
        for owner_id in owners:
            book_settlements_task.delay(owner_id)
        return len(owners)

    @app.task(name="aggregator.apply_webhook", autoretry_for=(OSError,), retry_backoff=5, max_retries=5)
    def apply_webhook_task(event_pk: int) -> str:
        from aggregator.store.vault import Vault
        from aggregator.transport_pool import shared_pool
        from aggregator.webhooks import apply

        return apply(work.engine_for(settings.effective_database_url), Vault.from_settings(settings), event_pk,
                     shared_pool())

    @app.task(name="aggregator.sync_due")
    def sync_due_task() -> int:
        jobs = work.due_syncs(settings)
        for shop_pk, stream in jobs:
            sync_shop_task.delay(shop_pk, stream)
        return len(jobs)

    return app
