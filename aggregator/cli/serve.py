"""The `serve` verb: serve the REST API and web page."""
from aggregator.cli.unavailable import unavailable_command

command = unavailable_command("serve", "serve the REST API and web page")
