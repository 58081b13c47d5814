"""Scheduled jobs: the same job bodies run in-process (embedded default) or on Celery workers.

``work`` holds the job bodies (plain functions of the settings), ``celery_app`` wraps them as Celery
tasks with a beat schedule, ``embedded`` runs the schedule inside one process without a broker.
"""
