"""Field extraction: turn the text of a page, an HTML file or a JSON line into an Article.

One concept per module: ``dates``, ``chrome``, ``bylines``, ``captions``,
``outlets``, ``places``, ``topics``, ``fingerprint``; ``page``, ``html`` and
``jsonline`` assemble them. The data tables live in ``search/data/``.
"""

from __future__ import annotations

from .fingerprint import fingerprint

__all__ = ["fingerprint"]
