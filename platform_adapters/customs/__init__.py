"""Customs import declarations (SG/MY/TH/ID style lines) → ``CustomsEntry`` records (pure mapping)."""
