"""The `export` verb: export links, exceptions, timelines and settlement journals."""
from aggregator.cli.unavailable import unavailable_command

command = unavailable_command("export", "export links, exceptions, timelines and settlement journals")
