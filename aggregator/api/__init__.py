"""The REST API (FastAPI, OpenAPI at /api/docs) and the web page it serves at /.

Every route is authorised by an API key (``Authorization: Bearer …``) and scoped to its owner: a
brand's key sees only that brand's shops, orders, runs and exceptions. An operator key
(``AGGREGATOR_ADMIN_API_KEY``) may act for any owner by naming it.
"""
