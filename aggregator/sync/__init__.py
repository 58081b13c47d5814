"""Sync: pull changes from sources in bounded windows and store them idempotently."""
