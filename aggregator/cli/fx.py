"""The `fx` verb: FX rates, conversion, rate locks and revaluation."""
from aggregator.cli.unavailable import unavailable_command

command = unavailable_command("fx", "FX rates, conversion, rate locks and revaluation")
