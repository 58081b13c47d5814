"""The `import` verb: import logistics and warehouse files."""
from aggregator.cli.unavailable import unavailable_command

command = unavailable_command("import", "import logistics and warehouse files")
