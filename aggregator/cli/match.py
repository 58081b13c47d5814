"""The `match` verb: link order lines to lots, containers, documents and customs entries."""
from aggregator.cli.unavailable import unavailable_command

command = unavailable_command("match", "link order lines to lots, containers, documents and customs entries")
