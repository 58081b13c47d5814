"""The application side of FX: persisting rates with provenance, rate locks that cannot be
over-drawn under concurrency, FX open items, realized settlements and month-end revaluation.

The rules live in the pure ``fx`` package; this package only stores, loads and serialises.
"""
