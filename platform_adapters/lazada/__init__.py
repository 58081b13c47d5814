"""Lazada Open Platform (LazOP) adapter: signing, client, orders, mapping, statuses, auth, webhooks."""
