"""Plain result objects returned by the query entry point."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class FacetValue:
    """One value of a facet with its count under the other filters."""

    value: str
    count: int
    selected: bool = False


@dataclass
class Hit:
    """One matching article, with what a result list shows."""

    id: str
    title: str
    url: str | None
    date: str | None
    province: str | None
    province_2025: str | None
    topics: list[str]
    snippet: str
    score: float | None
    outlet: str | None = None
    author: str | None = None
    indexed: str | None = None  # when the article was indexed (RFC 3339, UTC)
    # Near-duplicates folded into this hit (the same story elsewhere), each
    # {id, title, url, outlet, date}: shown as "N bài tương tự".
    similar: list[dict] = field(default_factory=list)


@dataclass
class SearchResult:
    """Hits of one page, the total, facet counts and an accent-restored suggestion."""

    query: str
    total: int
    page: int
    per_page: int
    sort: str
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    filters: dict[str, list[str]] = field(default_factory=dict)
    suggestion: str | None = None
    # How the query was read: "exact" (accents as typed) or "any" (folded);
    # fallback: the exact reading found too little (exact_total articles), so
    # the folded one is shown; words: the query's words as understood.
    accents: str = "exact"
    fallback: bool = False
    exact_total: int | None = None
    words: list[list[str]] = field(default_factory=list)
    # Abbreviations and expansions searched too: {"typed": "ubnd", "also": ["Ủy ban Nhân dân"]}.
    expanded: list[dict] = field(default_factory=list)
    # The typed query found nothing, or little (typed_total articles): the
    # corrected one (typos, Telex) that was searched instead; and words left
    # out so that something is found.
    corrected: str | None = None
    typed_total: int | None = None
    missing: list[str] = field(default_factory=list)
    # Matching articles per month or year under every filter but the dates:
    # {"unit": "month"|"year", "bins": [{"period": "2023-05", "count": 3}], "undated": N}.
    timeline: dict = field(default_factory=dict)
    # Matching articles per province with its centroid:
    # {"level": "province"|"province_2025", "counts": [{"value", "count", "lat", "lon"}]}.
    map: dict = field(default_factory=dict)
    # Near-duplicate stories folded into the first of each (Hit.similar);
    # the total still counts every article.
    collapsed: bool = False
    # Shards of a distributed index that did not answer (searched without them).
    partial: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        """Number of result pages."""
        return max(1, -(-self.total // self.per_page))

    def to_dict(self) -> dict:
        """The JSON shape of `vnsearch search --json` and `/api/search`."""
        d = asdict(self)
        d["pages"] = self.pages
        return d
