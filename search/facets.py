"""The facets, declared once: what a filter is called, where it is indexed, how it is shown.

The query layer, both backends (numpy columns; Xapian value slots), the CLI and the
site read this table, so adding a facet is one entry here plus the field in
``search/backends/schema.py`` and the value on :class:`~search.article.Article`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Facet:
    """One facet: a filter of the search and a list of counted values beside the results."""

    name: str  # in results, URLs, API arguments and the engine's filters ("topic")
    field: str  # the index field its values are terms of ("topics")
    title: str  # the heading of its list on the page
    chip: str  # the label of a chosen value's chip
    multi: bool = False  # an article may have several values
    # Counted from the article's date, not from a field of its own.
    from_date: bool = False
    # The Xapian value slot its values are counted from (None: from_date facets).
    slot: int | None = None


FACETS = (
    Facet("province", "province", "Tỉnh, thành (khi đăng)", "Tỉnh", slot=5),
    Facet("province_2025", "province_2025", "Tỉnh, thành hiện nay", "Nay thuộc", slot=6),
    Facet("topic", "topics", "Chủ đề", "Chủ đề", multi=True, slot=9),
    Facet("year", "year", "Năm", "Năm", from_date=True),
    Facet("outlet", "outlet", "Báo, trang tin", "Báo", slot=7),
    Facet("district", "district", "Quận, huyện (khi đăng)", "Huyện", slot=8),
)
BY_NAME = {f.name: f for f in FACETS}
NAMES = tuple(f.name for f in FACETS)
# Facets with a field of their own (not derived from the date).
STORED = tuple(f for f in FACETS if not f.from_date)
