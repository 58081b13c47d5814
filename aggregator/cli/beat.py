"""The `beat` verb: run the Celery beat scheduler."""
from aggregator.cli.unavailable import unavailable_command

command = unavailable_command("beat", "run the Celery beat scheduler")
