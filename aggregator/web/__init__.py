"""The web page (static HTML + JS over the REST API): orders, timelines, exceptions, runs, shops."""
