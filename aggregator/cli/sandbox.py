"""The `sandbox` verb: run the local sandbox marketplaces."""
from aggregator.cli.unavailable import unavailable_command

command = unavailable_command("sandbox", "run the local sandbox marketplaces")
