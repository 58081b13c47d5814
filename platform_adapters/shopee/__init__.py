"""Shopee Open Platform v2 adapter: signing, client, orders, finance, mappings, statuses, auth, webhooks."""
