"""The search page's pictures, drawn on the server as inline SVG (no script).

The timeline: matching articles per month or year, each bar a link setting the
date range to its period. The map: matching articles per province, a circle at
each province's centroid (search.geo), each a link to that province's filter.
"""

from __future__ import annotations

import datetime as dt
import math

from markupsafe import Markup, escape

from search import geo
from search.dates import parse_bound
from search.results import SearchResult

from .urls import Pairs, build, toggle_url, without

# Timeline box (SVG user units; the CSS scales it to the column's width).
T_WIDTH, T_HEIGHT, T_AXIS = 600, 140, 16
# Map: degrees -> units, and the box around Vietnam (mainland and near islands).
M_SCALE, M_WEST, M_EAST, M_NORTH, M_SOUTH = 22, 102.0, 109.6, 23.5, 8.4
M_RADIUS = (3.0, 11.0)
LEVEL_LABELS = {"province": "khi đăng", "province_2025": "hiện nay"}


def _period_label(period: str) -> str:
    """ "2023-05" -> "05/2023"; a year stays as it is."""
    if len(period) == 7:
        return f"{period[5:]}/{period[:4]}"
    return period


def _period_days(period: str) -> tuple[dt.date, dt.date]:
    first, last = parse_bound(period, "date_from"), parse_bound(period, "date_to", end=True)
    if first is None or last is None:  # parse_bound gives None only for an empty value
        raise ValueError(f"no dates in the period {period!r}")
    return first, last


def _range_url(pairs: Pairs, period: str) -> str:
    """The search limited to one month or year (the other arguments kept, page 1)."""
    rest = without(pairs, "date_from", "date_to", "page")
    return build("views.search", rest + [("date_from", period), ("date_to", period)])


def timeline_svg(
    result: SearchResult, pairs: Pairs, bounds: dict[str, dt.date] | None = None
) -> Markup | None:
    """The timeline as inline SVG, or None when no matching article has a date."""
    bins = result.timeline.get("bins") or []
    if not any(b["count"] for b in bins):
        return None
    bounds = bounds or {}
    unit = "tháng" if result.timeline.get("unit") == "month" else "năm"
    peak = max(b["count"] for b in bins)
    step = T_WIDTH / len(bins)
    gap = min(2.0, step * 0.2)
    plot = T_HEIGHT - T_AXIS
    first, last = _period_label(bins[0]["period"]), _period_label(bins[-1]["period"])
    desc = (
        f"Số bài theo {unit}, từ {first} đến {last}; cao nhất {peak} bài. "
        f"Chọn một cột để lọc theo {unit} đó."
    )
    out = [
        (
            f'<svg class="timeline" viewBox="0 0 {T_WIDTH} {T_HEIGHT}" role="group" '
            f'aria-labelledby="timeline-title timeline-desc">'
        ),
        f'<title id="timeline-title">Số bài theo {unit}</title>',
        f'<desc id="timeline-desc">{escape(desc)}</desc>',
    ]
    for i, b in enumerate(bins):
        if not b["count"]:
            continue
        h = max(1.5, plot * b["count"] / peak)
        start, end = _period_days(b["period"])
        chosen = bool(bounds) and (
            bounds.get("date_from", dt.date.min) <= start
            and end <= bounds.get("date_to", dt.date.max)
        )
        label = f"{_period_label(b['period'])}: {b['count']} bài"
        out.append(
            f'<a href="{escape(_range_url(pairs, b["period"]))}" aria-label="{label}">'
            f"<title>{label}</title>"
            f'<rect class="bar{" chosen" if chosen else ""}" x="{i * step + gap / 2:.1f}" '
            f'y="{plot - h:.1f}" width="{step - gap:.1f}" height="{h:.1f}"/></a>'
        )
    out.append(f'<line class="axis" x1="0" y1="{plot}" x2="{T_WIDTH}" y2="{plot}"/>')
    out.append(f'<text x="0" y="{T_HEIGHT - 3}">{first}</text>')
    if len(bins) > 1:
        out.append(f'<text x="{T_WIDTH}" y="{T_HEIGHT - 3}" text-anchor="end">{last}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def _xy(lat: float, lon: float) -> tuple[float, float]:
    """Plate carrée: longitude to the right, latitude up (good enough at this size)."""
    return (lon - M_WEST) * M_SCALE, (M_NORTH - lat) * M_SCALE


def map_svg(result: SearchResult, pairs: Pairs) -> Markup | None:
    """The province map as inline SVG, or None when no matching article has a known province."""
    level = result.map.get("level", "province")
    counts = result.map.get("counts") or []
    if not counts:
        return None
    width, height = _xy(M_SOUTH, M_EAST)
    peak = max(c["count"] for c in counts)
    chosen = set(result.filters.get(level, []))
    where = LEVEL_LABELS[level]
    out = [
        (
            f'<svg class="map" viewBox="0 0 {width:.0f} {height:.0f}" role="group" '
            f'aria-labelledby="map-title map-desc">'
        ),
        f'<title id="map-title">Bản đồ số bài theo tỉnh, thành ({where})</title>',
        (
            f'<desc id="map-desc">{len(counts)} tỉnh, thành có bài; nhiều nhất {peak} bài. '
            f"Chọn một tỉnh để lọc.</desc>"
        ),
    ]
    # Every province as a faint dot: the country's shape without boundary data.
    for place in geo.places(level):
        x, y = _xy(place.lat, place.lon)
        out.append(f'<circle class="place" cx="{x:.1f}" cy="{y:.1f}" r="2"/>')
    lo, hi = M_RADIUS
    for c in sorted(counts, key=lambda c: -c["count"]):  # small circles drawn last, on top
        x, y = _xy(c["lat"], c["lon"])
        share = c["count"] / peak
        r = lo + (hi - lo) * math.sqrt(share)
        shade = 0.35 + 0.65 * share
        label = escape(f"Tỉnh {c['value']}: {c['count']} bài")
        cls = "hit chosen" if c["value"] in chosen else "hit"
        out.append(
            f'<a href="{escape(toggle_url(pairs, level, c["value"]))}" '
            f'aria-label="{label}"><title>{label}</title>'
            f'<circle class="{cls}" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" '
            f'fill-opacity="{shade:.2f}"/></a>'
        )
    out.append("</svg>")
    return Markup("".join(out))
