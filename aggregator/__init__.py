"""The application: owns the database, the clock, the jobs, the API, the exports and the CLI.

Adapters (``platform_adapters``) hand it canonical records; it stores them idempotently, runs
matching (``matching``) and FX (``fx``) over them, and serves the results.
"""
__version__ = "0.1.0"
