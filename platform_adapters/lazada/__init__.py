"""Lazada Open Platform (LazOP) adapter: signing, client, orders, finance, mappings, statuses, auth, webhooks."""
