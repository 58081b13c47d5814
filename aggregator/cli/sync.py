"""The `sync` verb: pull orders from marketplace shops."""
from aggregator.cli.unavailable import unavailable_command

command = unavailable_command("sync", "pull orders from marketplace shops")
