"""All tables. Each area has its own module; importing this package registers them all."""
from aggregator.store.models import audit, marketplace, sync, tenancy  # noqa: F401
from aggregator.store.models import logistics, warehouse  # noqa: F401  (ingestion: documents, customs, 3PL, imports)
from aggregator.store.models import fx  # noqa: F401  (rates with provenance, locks, open items, revaluation, FX journals)
from aggregator.store.models import inventory, jobs, webhooks  # noqa: F401  (inventory core, job leases, webhooks)
from aggregator.store.models import matching  # noqa: F401  (links, manual links, title ledger)
from aggregator.store.models import access, events  # noqa: F401  (API keys and roles, the events outbox)
from aggregator.store.models import settlement  # noqa: F401  (statements, per-order reconciliation)
from aggregator.store.models import returns  # noqa: F401  (returns, refunds and cancellations)
from aggregator.store.models import exceptions  # noqa: F401  (the one exceptions queue)

from aggregator.store.models.audit import AuditEntry
from aggregator.store.models.marketplace import OrderLineRow, OrderPackageRow, OrderRow, SettlementLineRow
from aggregator.store.models.exceptions import ExceptionItem
from aggregator.store.models.sync import SyncCursor, SyncRun
from aggregator.store.models.tenancy import OwnerRow, ShopCredential, ShopRow

__all__ = [
    "AuditEntry", "OrderLineRow", "OrderPackageRow", "OrderRow", "SettlementLineRow",
    "ExceptionItem", "SyncCursor", "SyncRun", "OwnerRow", "ShopCredential", "ShopRow",
]
