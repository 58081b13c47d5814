"""The `title` verb: who holds title to goods in transit."""
from aggregator.cli.unavailable import unavailable_command

command = unavailable_command("title", "who holds title to goods in transit")
