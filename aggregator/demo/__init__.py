"""The demo: the whole chain on the embedded default, from sandbox marketplaces to title and FX."""
