"""The command line: one module per verb, registered in ``aggregator.cli.main``."""
