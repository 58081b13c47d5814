"""The optional full-inventory mode: a port that receives stock movements and answers availability.

Inventory-less (the default) uses ``NullCore``: lots are only derived, traceable quantities and
nothing keeps a stock ledger. Setting ``AGGREGATOR_INVENTORY_MODE=core`` feeds the movements derived
from warehouse records into a core: the shipped ``reference`` core (a ledger in this database) or a
third-party one registered under the entry-point group ``aggregator.inventory_cores``.
"""
