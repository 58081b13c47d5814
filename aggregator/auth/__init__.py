"""Marketplace shop credentials and tokens in the database.

``token_store``: the ``TokenProvider`` the adapters use, backed by ``shop_credentials`` with a
single-flight refresh across processes (row lock); ``shops``: registering, listing and removing
shops and storing their app credentials; a shop whose authorization is gone is ``needs_reauth``.
"""
