"""Shopee Open Platform v2 adapter: signing, client, orders, mapping, statuses, auth, webhooks."""
