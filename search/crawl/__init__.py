"""Live sources: discover (feeds, sitemaps, home pages) -> fetch (robots, politeness,
conditional GET) -> state (SQLite beside the index) -> pages handed to ingest.

Modules: ``urls`` (normalisation, the site, what looks like an article),
``sources`` (the sources file), ``fetch`` (polite HTTP), ``discover`` (feeds,
sitemaps, home pages), ``state`` (the SQLite crawl state), ``run`` (a crawl
round), ``cli`` (`vnsearch crawl`). The crawler is one thread: one request at a
time over all hosts, so "one request at a time per host" holds by construction.
"""
