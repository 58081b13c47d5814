"""TikTok Shop Open API (202309+) adapter: signing, client, orders, mapping, statuses, auth, webhooks."""
