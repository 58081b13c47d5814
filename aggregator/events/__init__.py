"""Live events: the outbox (``outbox.py``: written in the change's own transaction, read by owner and id)
and the watcher (``watcher.py``: wakes this process's event streams when any process adds to it)."""
