"""In-transit title ledger: append-only title events with basis and evidence, a policy per
owner/platform/country, and the title position at any instant as a fold of the ledger.

Title holder, risk bearer, document holder and custodian are four separate facts on every event
(reference/logistics_title.md §3).
"""
from matching.title.derive import derive_title_events
from matching.title.events import LEDGER_COLUMNS, TitleEvent
from matching.title.policy import PolicyBook, TitlePolicy
from matching.title.position import title_position

__all__ = ["LEDGER_COLUMNS", "PolicyBook", "TitleEvent", "TitlePolicy", "derive_title_events", "title_position"]
