"""The `worker` verb: run a Celery worker."""
from aggregator.cli.unavailable import unavailable_command

command = unavailable_command("worker", "run a Celery worker")
