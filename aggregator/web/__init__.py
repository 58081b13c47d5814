"""The web app: static ES modules served by the API process itself (``aggregator.web.pages``)."""
