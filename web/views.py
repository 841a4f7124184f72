"""HTML pages: home, search results and one article."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask import Blueprint, current_app, render_template, request
from markupsafe import Markup, escape

from search.analysis import has_diacritics
from search.crawl.state import last_crawled
from search.dates import parse_bound, vn_date
from search.highlight import Terms, mark_all
from search.plan import ACCENTS
from search.query import MAX_QUERY_CHARS

from . import charts, urls
from .engine import get_engine
from .facets import (
    Chip,
    chips,
    facet_boxes,
    province_level,
    province_successors,
    province_switch,
    successor_note,
)
from .params import collapse_arg, province_view, search_kwargs, search_pairs

bp = Blueprint("views", __name__)

RECENT = 8
RELATED = 5
SORT_LABELS = {"relevance": "Liên quan nhất", "date": "Mới nhất"}


@bp.app_template_filter("vndate")
def vndate(iso: str | None) -> str:
    """An ISO date as Vietnamese write it: 05/03/2024."""
    if not iso:
        return ""
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


@bp.route("/")
def index():
    """Home: the search box, help, recent articles and province/topic lists."""
    engine = get_engine()
    result = engine.search("", sort="date", per_page=RECENT)
    successors = province_successors(engine)
    return render_template(
        "index.html",
        result=result,
        hits=[_hit(h, "", successors) for h in result.hits],
        # "Bài mới nhất" only when the index knows some dates (see search()).
        dated=any(v.count for v in result.facets.get("year", [])),
        provinces=[
            (
                v.value,
                v.count,
                urls.search_url(province=v.value),
                successor_note(v.value, successors),
            )
            for v in result.facets["province"]
        ],
        topics=[(v.value, v.count, urls.search_url(topic=v.value)) for v in result.facets["topic"]],
        crawled=last_crawled(current_app.config["INDEX_DIR"]),
    )


@bp.route("/search")
def search():
    """Search results with facets, chips, sorting and pages."""
    engine = get_engine()
    kwargs = search_kwargs(request.args, current_app.config["PER_PAGE"])
    view = province_view(request.args)
    result = engine.search(**kwargs, collapse=collapse_arg(request.args), map_level=view)
    pairs = search_pairs(request.args)
    level = province_level(result, view)
    expanded = request.args.get("facet", "")
    successors = province_successors(engine)
    dates = _date_bounds(request.args)
    has_filters = any(result.filters.get(name) for name in result.filters) or bool(dates)
    # "Mới nhất" and the feed of the newest only mean something when some results
    # have dates (the year facet counts the dated ones; a selected year means every
    # result has one).
    dated = result.total > 0 and (
        bool(result.filters.get("year")) or any(v.count for v in result.facets.get("year", []))
    )
    return render_template(
        "search.html",
        result=result,
        hits=[_hit(h, result.query, successors) for h in result.hits],
        first=(result.page - 1) * result.per_page + 1,
        facets=facet_boxes(
            result,
            pairs,
            successors,
            level=level,
            expanded=expanded,
            facet_q=request.args.get("facet_q", ""),
        ),
        province_switch=province_switch(pairs, level),
        filters_open=bool(expanded),
        timeline_svg=charts.timeline_svg(result, pairs, dates),
        map_svg=charts.map_svg(result, pairs),
        timeline_clear_url=urls.build(
            "views.search", urls.without(pairs, "date_from", "date_to", "page")
        ),
        chips=chips(result, pairs) + _date_chips(dates, pairs),
        clear_url=urls.build("views.search", [("q", result.query)] if result.query else []),
        has_filters=has_filters,
        sorts=[
            (
                label,
                urls.replace_url(pairs, "sort", None if key == "relevance" else key),
                key == result.sort,
            )
            for key, label in SORT_LABELS.items()
            if key != "date" or dated or result.sort == "date"
        ],
        # The date inputs submit with the search box's form (id "q-form"), which
        # therefore does not carry the dates as hidden fields.
        date_form={
            "form": "q-form",
            **{name: request.args.get(name, "").strip() for name in DATE_ARGS},
        },
        csv_url=urls.build(
            "feeds.search_csv", [p for p in pairs if p[0] not in ("page", "per_page")]
        ),
        pages=urls.pagination(pairs, result.page, result.pages),
        prev_url=urls.page_url(pairs, result.page - 1) if result.page > 1 else None,
        next_url=urls.page_url(pairs, result.page + 1) if result.page < result.pages else None,
        suggestion_url=(
            urls.replace_url(pairs, "q", result.suggestion) if result.suggestion else None
        ),
        accent_modes=_accent_modes(result, pairs),
        exact_url=urls.replace_url(pairs, "accents", "exact"),
        no_expand_url=urls.replace_url(pairs, "expand", "0"),
        as_typed_url=urls.replace_url(pairs, "correct", "0"),
        corrected_url=(
            urls.replace_url(pairs, "q", result.corrected) if result.corrected else None
        ),
        expand_url=urls.replace_url(pairs, "expand", None),
        expand_off=request.args.get("expand") == "0",
        words=[" ".join(w) for w in result.words],
        json_url=urls.build("api.search", pairs),
        # The feed is "the newest matching articles": offered only when some have dates.
        atom_url=urls.build(
            "feeds.search_atom", [p for p in pairs if p[0] not in ("page", "per_page", "sort")]
        )
        if dated
        else None,
        hidden=[p for p in pairs if p[0] not in ("q", "page") + DATE_ARGS],
        # Near-duplicates folded into one hit: the same page with every article apart.
        apart_url=urls.replace_url(pairs, "collapse", "0") if result.collapsed else None,
    )


@bp.route("/articles/<path:article_id>", merge_slashes=False)
def article(article_id):
    """One article in full, with its source, references and related articles."""
    engine = get_engine()
    art = engine.article(article_id)
    q = request.args.get("q", "")[:MAX_QUERY_CHARS]  # as much as a search reads
    accents = request.args.get("accents", "auto")
    accents = accents if accents in ACCENTS else "auto"
    expand = request.args.get("expand") != "0"
    terms = engine.terms(q, accents, expand).for_text(art.text()) if q else Terms()
    successors = province_successors(engine)
    return render_template(
        "article.html",
        article=art,
        paragraphs=_paragraphs(art.body, terms),
        lead=_marked(art.lead, terms),
        province_url=urls.search_url(province=art.province) if art.province else None,
        province_2025_url=(
            urls.search_url(province_2025=art.province_2025) if art.province_2025 else None
        ),
        topics=[(t, urls.search_url(topic=t)) for t in art.topics],
        refs=[(r, urls.search_url(q=r.ref)) for r in art.policy_refs],
        source_url=art.url if _site(art.url) else None,
        outlet_url=_site(art.url),
        related=[_hit(h, "", successors) for h in engine.related(art.id, RELATED)],
        json_url=urls.build("api.article", [], article_id=art.id),
        back_url=urls.search_url(q=q) if q else None,
        query=q,
    )


ACCENT_LABELS = {"exact": "Đúng dấu đã gõ", "any": "Không phân biệt dấu"}
DATE_ARGS = ("date_from", "date_to")
DATE_LABELS = {"date_from": "Từ ngày", "date_to": "Đến ngày"}


def _date_bounds(args) -> dict[str, dt.date]:
    """The date filters of a request as days (already checked by search_kwargs)."""
    bounds = {}
    for name in DATE_ARGS:
        day = parse_bound(args.get(name), name, end=name == "date_to")
        if day is not None:
            bounds[name] = day
    return bounds


def _date_chips(bounds: dict[str, dt.date], pairs) -> list[Chip]:
    """A removable chip per date bound: "Từ ngày: 01/01/2022"."""
    return [
        Chip(DATE_LABELS[name], vn_date(day), urls.replace_url(pairs, name, None))
        for name, day in bounds.items()
    ]


def _accent_modes(result, pairs) -> list[tuple[str, str, bool]]:
    """The accents switch: (label, url, current), offered when the query has accents."""
    if not has_diacritics(result.query):
        return []
    return [
        (label, urls.replace_url(pairs, "accents", mode), mode == result.accents)
        for mode, label in ACCENT_LABELS.items()
    ]


def _hit(hit, q: str, successors: dict[str, str]) -> dict:
    """What a result line shows about one hit."""
    return {
        "hit": hit,
        "url": urls.article_url(hit.id, q),
        "province_note": successor_note(hit.province, successors),
        "topics": [(t, urls.search_url(topic=t)) for t in hit.topics],
    }


def _marked(text: str, terms: Terms) -> Markup:
    # mark_all escapes the text and adds <mark> tags: safe HTML.
    return Markup(mark_all(text, terms)) if terms else escape(text)


def _paragraphs(text: str, terms: Terms) -> list[Markup]:
    """The body split on blank lines, each escaped (and marked when searched)."""
    return [_marked(p.strip(), terms) for p in text.split("\n\n") if p.strip()]


def _site(url: str | None) -> str | None:
    """The home page of the outlet that published ``url`` (http(s) only)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}/"
