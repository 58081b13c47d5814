"""Scheduled jobs: the same job bodies run in-process (embedded default) or on Celery workers.

``work`` holds the job bodies (plain functions of the settings), ``schedule`` is the one job table
(what runs when, retried on which errors), ``celery_app`` wraps the bodies as Celery tasks with the
table as beat's schedule, ``embedded`` runs the same table inside one process without a broker,
``history`` records every execution, ``lease`` keeps one worker per job, ``match_fanout`` splits
one owner's matching into per-partition tasks under Celery.
"""
