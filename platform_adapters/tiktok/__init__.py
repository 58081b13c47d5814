"""TikTok Shop Open API (202309+) adapter: signing, client, orders, finance, mappings, statuses, auth, webhooks."""
