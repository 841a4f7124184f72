"""The facet sidebar and filter chips of a search page, as plain values for templates.

The "nay thuộc …" notes on provinces come from the data: for each province as
published, the 2025 province most of its articles carry (computed once per index
generation from the engine's facet columns).
"""
from __future__ import annotations

import threading
import weakref
from collections import Counter
from dataclasses import dataclass, field

from search.engine import Engine
from search.results import FACETS, SearchResult

from .urls import Pairs, toggle_url

TITLES = {
    "province": "Tỉnh, thành (khi đăng)",
    "province_2025": "Tỉnh, thành hiện nay",
    "topic": "Chủ đề",
    "year": "Năm",
}
CHIP_LABELS = {"province": "Tỉnh", "province_2025": "Nay thuộc", "topic": "Chủ đề",
               "year": "Năm"}
# Values listed before the rest fold under "Xem thêm".
SHOWN = 8

_lock = threading.Lock()
# Engine -> (the facet columns the mapping was computed from, the mapping).
_successors: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass
class FacetLink:
    """One selectable value of a facet."""

    value: str
    count: int
    selected: bool
    url: str
    note: str | None = None


@dataclass
class FacetBox:
    """One facet: its title, the first values and the ones folded away."""

    name: str
    title: str
    shown: list[FacetLink] = field(default_factory=list)
    more: list[FacetLink] = field(default_factory=list)


@dataclass
class Chip:
    """One active filter, with the URL that removes it."""

    label: str
    value: str
    url: str


def province_successors(engine: Engine) -> dict[str, str]:
    """Province as published -> its 2025 province, where the merger changed it."""
    searcher = engine.searcher()
    cols = engine.columns(searcher)
    with _lock:
        cached = _successors.get(engine)
        if cached is not None and cached[0] is cols:
            return cached[1]
    old, new = cols.codes["province"], cols.codes["province_2025"]
    both = cols.live & (old >= 0) & (new >= 0)
    pairs = Counter(zip(old[both].tolist(), new[both].tolist()))
    mapping: dict[str, str] = {}
    for (i, j), _ in pairs.most_common():
        mapping.setdefault(cols.values["province"][i], cols.values["province_2025"][j])
    mapping = {p: p25 for p, p25 in mapping.items() if p25 != p}
    with _lock:
        _successors[engine] = (cols, mapping)
    return mapping


def facet_boxes(result: SearchResult, pairs: Pairs, successors: dict[str, str],
                endpoint: str = "views.search") -> list[FacetBox]:
    """Sidebar boxes for every facet that has values, selected values first."""
    boxes = []
    for name in FACETS:
        values = sorted(result.facets.get(name, []), key=lambda v: not v.selected)
        if not values:
            continue
        links = [FacetLink(v.value, v.count, v.selected,
                           toggle_url(pairs, name, v.value, endpoint),
                           note=successor_note(v.value, successors) if name == "province"
                           else None)
                 for v in values]
        boxes.append(FacetBox(name, TITLES[name], links[:SHOWN], links[SHOWN:]))
    return boxes


def successor_note(province: str | None, successors: dict[str, str]) -> str | None:
    """ "nay thuộc X" for a province the 2025 merger folded into X, else None."""
    if province and province in successors:
        return f"nay thuộc {successors[province]}"
    return None


def chips(result: SearchResult, pairs: Pairs) -> list[Chip]:
    """One removable chip per selected filter value."""
    return [Chip(CHIP_LABELS[name], value, toggle_url(pairs, name, value))
            for name in FACETS for value in result.filters.get(name, [])]
