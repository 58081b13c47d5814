"""API routers, one module per resource.

Importing the package registers the ``{…:ident}`` path convertor (``aggregator.api.path_ids``) once, before
any router module declares a route that names it.
"""
import aggregator.api.path_ids  # noqa: F401 - registers the {…:ident} path convertor
