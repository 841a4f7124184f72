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

from search.analysis import fold
from search.engine import Engine
from search.facets import FACETS as FACETS_DECLARED
from search.facets import NAMES as FACETS
from search.results import SearchResult

from .urls import Pairs, build, replace_url, toggle_url, without

# Headings and chip labels come with the facets (search/facets.py).
TITLES = {f.name: f.title for f in FACETS_DECLARED}
CHIP_LABELS = {f.name: f.chip for f in FACETS_DECLARED}
# A facet with more values than LONG shows its first TOP and links to the full list.
LONG, TOP = 12, 10
# The full list of one facet (?facet=outlet) is filtered by ?facet_q=…; capped.
FACET_Q_CHARS = 100
PROVINCE_LEVELS = ("province", "province_2025")

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
    # More values than shown: how many in all, and the link to the full list.
    total: int = 0
    all_url: str | None = None
    # This box lists every value (?facet=name): the filter box's text, the
    # hidden fields that keep the search, and the link back to the short list.
    expanded: bool = False
    facet_q: str = ""
    hidden: list[tuple[str, str]] = field(default_factory=list)
    close_url: str | None = None


@dataclass
class ProvinceSwitch:
    """ "Tỉnh: khi đăng | hiện nay": which province facet the page lists and maps."""

    level: str
    links: list[tuple[str, str, bool]]  # (label, url, current)


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


def province_level(result: SearchResult, view: str | None) -> str:
    """The province facet the page shows: the chosen view, else the one filtered on."""
    if view in PROVINCE_LEVELS:
        return view
    return result.map.get("level") or "province"


def province_switch(pairs: Pairs, level: str) -> ProvinceSwitch:
    """Two links, one current: the provinces as published or after the 2025 merger."""
    views = (("khi đăng", "published", "province"), ("hiện nay", "2025", "province_2025"))
    return ProvinceSwitch(
        level,
        [
            (label, replace_url(pairs, "province_view", arg), key == level)
            for label, arg, key in views
        ],
    )


def facet_boxes(
    result: SearchResult,
    pairs: Pairs,
    successors: dict[str, str],
    endpoint: str = "views.search",
    *,
    level: str | None = None,
    expanded: str | None = None,
    facet_q: str = "",
) -> list[FacetBox]:
    """Sidebar boxes for every facet that has values, selected values first.

    Of the two province facets only ``level`` is listed (both when None). A
    facet with more than LONG values shows its TOP first ones and a link to all;
    the ``expanded`` one lists all, those matching ``facet_q`` (accents and case
    ignored) when given.
    """
    boxes = []
    needle = fold(facet_q[:FACET_Q_CHARS]).lower().strip()
    for name in FACETS:
        if level and name in PROVINCE_LEVELS and name != level:
            continue
        values = sorted(result.facets.get(name, []), key=lambda v: not v.selected)
        if not values:
            continue
        box = FacetBox(name, TITLES[name], total=len(values))
        if name == expanded:
            box.expanded, box.facet_q = True, facet_q[:FACET_Q_CHARS]
            if needle:
                values = [v for v in values if needle in fold(v.value).lower()]
            box.hidden = [p for p in pairs if p[0] != "page"] + [("facet", name)]
            box.close_url = build(endpoint, without(pairs, "page")) + f"#facet-{name}"
        elif len(values) > LONG:
            # Selected values always show (to be removable), then the largest;
            # links are built only for what shows (districts run to hundreds).
            values = values[: max(TOP, sum(v.selected for v in values))]
            box.all_url = (
                build(endpoint, without(pairs, "page") + [("facet", name)]) + f"#facet-{name}"
            )
        box.shown = [
            FacetLink(
                v.value,
                v.count,
                v.selected,
                toggle_url(pairs, name, v.value, endpoint),
                note=successor_note(v.value, successors) if name == "province" else None,
            )
            for v in values
        ]
        boxes.append(box)
    return boxes


def successor_note(province: str | None, successors: dict[str, str]) -> str | None:
    """ "nay thuộc X" for a province the 2025 merger folded into X, else None."""
    if province and province in successors:
        return f"nay thuộc {successors[province]}"
    return None


def chips(result: SearchResult, pairs: Pairs) -> list[Chip]:
    """One removable chip per selected filter value."""
    return [
        Chip(CHIP_LABELS[name], value, toggle_url(pairs, name, value))
        for name in FACETS
        for value in result.filters.get(name, [])
    ]
