"""The `shops` verb: manage marketplace shops and their authorization."""
from aggregator.cli.unavailable import unavailable_command

command = unavailable_command("shops", "manage marketplace shops and their authorization")
