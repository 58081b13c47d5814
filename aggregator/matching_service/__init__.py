"""Runs the pure matching engine (``matching``) on the database: loads frames from the marketplace,
logistics and warehouse tables, matches changed partitions, stores links, exceptions and title events."""
