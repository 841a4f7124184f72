"""Request arguments of a search, checked and turned into plain values for the engine.

Everything here raises :class:`~search.errors.BadQuery` (HTTP 400) for input a
person could type into the address bar; the engine checks the ranges again.
"""

from __future__ import annotations

from search.dates import parse_bound
from search.errors import BadQuery
from search.facets import NAMES
from search.plan import ACCENTS
from search.query import MAX_QUERY_CHARS

# Multi-valued filters, in the order chips and URLs list them.
FILTERS = NAMES
# Every argument a search page understands, in the order URLs carry them.
SEARCH_ARGS = (
    "q",
    *FILTERS,
    "date_from",
    "date_to",
    "accents",
    "expand",
    "correct",
    "sort",
    "page",
    "per_page",
    "collapse",
    "province_view",
)
# province_view: which provinces the page lists and maps, as published or after 2025.
PROVINCE_VIEWS = {"published": "province", "2025": "province_2025"}
# Every selected value becomes a chip and rides along in every link of the page,
# so a request with thousands of them would cost seconds and megabytes: refused.
MAX_FILTER_VALUES = 20
MAX_VALUE_CHARS = 200


def _int(args, name: str, default: int) -> int:
    raw = args.get(name, "").strip()
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadQuery(
            f"{name}: phải là một số nguyên, không phải {raw!r}", code=f"bad_{name}"
        ) from None


def search_kwargs(args, per_page: int = 10) -> dict:
    """Keyword arguments for :meth:`Engine.search` from a request's query arguments."""
    kwargs = {"q": args.get("q", "")}  # the engine reads at most MAX_QUERY_CHARS of it
    for name in FILTERS:
        kwargs[name] = [v for v in args.getlist(name) if v.strip()]
        if len(kwargs[name]) > MAX_FILTER_VALUES:
            raise BadQuery(
                f"{name}: chỉ được chọn tối đa {MAX_FILTER_VALUES} giá trị", code="too_many_filters"
            )
        if any(len(v) > MAX_VALUE_CHARS for v in kwargs[name]):
            raise BadQuery(
                f"{name}: mỗi giá trị dài tối đa {MAX_VALUE_CHARS} ký tự", code="value_too_long"
            )
    for year in kwargs["year"]:
        if not year.isdigit():
            raise BadQuery(f"year: năm phải là một số, không phải {year!r}", code="bad_year")
    # Checked here so that a bad date is refused before anything is searched;
    # the engine reads the same forms (search.dates).
    for name in ("date_from", "date_to"):
        kwargs[name] = args.get(name, "").strip() or None
        parse_bound(kwargs[name], name, end=name == "date_to")
    kwargs["accents"] = args.get("accents") or "auto"
    if kwargs["accents"] not in ACCENTS:
        raise BadQuery(
            f"accents: chế độ dấu phải là một trong {', '.join(ACCENTS)}", code="bad_accents"
        )
    expand = args.get("expand", "1").strip() or "1"
    if expand not in ("0", "1"):
        raise BadQuery("expand: phải là 0 hoặc 1", code="bad_expand")
    kwargs["expand"] = expand == "1"
    correct = args.get("correct", "1").strip() or "1"
    if correct not in ("0", "1"):
        raise BadQuery("correct: phải là 0 hoặc 1", code="bad_correct")
    kwargs["correct"] = correct == "1"
    kwargs["sort"] = args.get("sort") or "relevance"
    kwargs["page"] = _int(args, "page", 1)
    kwargs["per_page"] = _int(args, "per_page", per_page)
    return kwargs


def collapse_arg(args) -> bool | None:
    """``collapse`` of a search page or its JSON: 0 shows near-duplicates apart (None: default)."""
    raw = args.get("collapse", "").strip()
    if raw == "":
        return None
    if raw not in ("0", "1"):
        raise BadQuery("collapse: phải là 0 hoặc 1", code="bad_collapse")
    return raw == "1"


def province_view(args) -> str | None:
    """The map level of ``province_view`` ("published" or "2025"; None: follow the filters)."""
    raw = args.get("province_view", "").strip()
    if raw == "":
        return None
    if raw not in PROVINCE_VIEWS:
        raise BadQuery("province_view: phải là published hoặc 2025", code="bad_province_view")
    return PROVINCE_VIEWS[raw]


def search_pairs(args) -> list[tuple[str, str]]:
    """The non-empty search arguments of a request as ordered (name, value) pairs.

    The query keeps only the characters the engine reads, so the page's links
    (which all carry it) stay short whatever was typed.
    """
    return [
        (name, value[:MAX_QUERY_CHARS] if name == "q" else value)
        for name in SEARCH_ARGS
        for value in args.getlist(name)
        if value.strip()
    ]
