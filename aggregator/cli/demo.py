"""The `demo` verb: run the whole chain on the embedded default."""
from aggregator.cli.unavailable import unavailable_command

command = unavailable_command("demo", "run the whole chain on the embedded default")
