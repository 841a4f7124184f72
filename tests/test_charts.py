"""The timeline and the province map: JSON twin data and inline SVG links, on a real index."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from web_helpers import Page

from search.geo import locate, places


@pytest.fixture(scope="module")
def client(facet_index, client_for):
    """Flask's test client over the facet corpus: 48 articles, dated 2019 and 2023 or undated."""
    return client_for(facet_index)


def api(client, **args) -> dict:
    response = client.get("/api/search", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def html(client, **args) -> str:
    response = client.get("/search", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def svg(page: str, cls: str) -> str:
    match = re.search(rf'<svg class="{cls}".*?</svg>', page, re.DOTALL)
    assert match, f"no svg.{cls}"
    return match.group(0)


@pytest.mark.parametrize(
    "args, unit",
    [
        ({}, "year"),  # 2019 to 2023: longer than three years
        ({"q": "cán bộ"}, "year"),
        ({"year": "2023"}, "month"),  # one year: per month
        ({"q": "hội nghị", "year": "2023", "topic": "Kinh tế"}, "month"),
        ({"province": "Bắc Kạn", "year": "2019"}, "month"),
    ],
)
def test_timeline_bins_count_the_matching_articles(client, args, unit):
    data = api(client, **args)
    timeline = data["timeline"]
    assert timeline["unit"] == unit
    assert sum(b["count"] for b in timeline["bins"]) + timeline["undated"] == data["total"]
    assert timeline["bins"][0]["count"] and timeline["bins"][-1]["count"]
    width = 7 if unit == "month" else 4
    periods = [b["period"] for b in timeline["bins"]]
    assert all(len(p) == width for p in periods) and periods == sorted(periods)
    for b in timeline["bins"]:
        # The period as a date range finds exactly the bar's articles.
        assert (
            api(client, **args, date_from=b["period"], date_to=b["period"])["total"] == b["count"]
        ), b
    # Every period between the first and the last is listed, empty ones with 0.
    if unit == "year":
        assert [int(p) for p in periods] == list(range(int(periods[0]), int(periods[-1]) + 1))


def test_timeline_ignores_the_date_filter_but_not_the_others(client):
    everything = api(client, q="cán bộ")
    within = api(client, q="cán bộ", date_from="2023", date_to="2023")
    assert within["total"] < everything["total"]
    assert within["timeline"] == everything["timeline"]
    in_province = api(client, q="cán bộ", province="Lạng Sơn", date_from="2023")
    assert in_province["timeline"] != everything["timeline"]


def test_undated_articles_are_counted_apart(client):
    data = api(client)
    assert data["timeline"]["undated"] == 8
    page = html(client)
    assert "không rõ ngày: 8" in page


def test_timeline_svg_is_accessible_and_each_bar_sets_the_dates(client):
    page = html(client, q="cán bộ", year="2023")
    drawing = svg(page, "timeline")
    assert '<title id="timeline-title">Số bài theo tháng</title>' in drawing
    assert '<desc id="timeline-desc">' in drawing
    bars = Page(drawing).links
    data = api(client, q="cán bộ", year="2023")
    shown = [b for b in data["timeline"]["bins"] if b["count"]]
    assert len(bars) == len(shown) >= 3
    for bar, b in zip(bars, shown):
        args = dict(parse_qsl(urlsplit(bar["href"]).query))
        assert args["date_from"] == args["date_to"] == b["period"]
        assert args["q"] == "cán bộ" and args["year"] == "2023"
        month, year = b["period"][5:], b["period"][:4]
        assert bar["text"] == f"{month}/{year}: {b['count']} bài"
        total = re.search(r'class="total"[^>]*>(\d+) kết quả', html(client, **args))
        assert total and int(total.group(1)) == b["count"]


def test_chosen_period_is_marked(client):
    drawing = svg(html(client, year="2023", date_from="2023-05", date_to="2023-05"), "timeline")
    chosen = re.findall(
        r'<a href="([^"]+)"[^>]*><title>[^<]*</title><rect class="bar chosen"', drawing
    )
    assert len(chosen) == 1 and "date_from=2023-05" in chosen[0]


def test_no_timeline_when_every_match_is_undated(client):
    # Even articles of topic "Giảm nghèo" are those with i % 6 == 0: all undated.
    args = {"q": "hội nghị", "topic": "Giảm nghèo"}
    data = api(client, **args)
    assert data["total"] == 8
    assert data["timeline"] == {"unit": "month", "bins": [], "undated": 8}
    page = html(client, **args)
    assert 'class="timeline"' not in page
    assert "Không rõ ngày: 8 bài" in page


@pytest.mark.parametrize(
    "args, level",
    [
        ({}, "province"),
        ({"q": "cán bộ"}, "province"),
        ({"province_2025": "Thái Nguyên"}, "province_2025"),
        ({"province_view": "2025"}, "province_2025"),
        ({"province_view": "published", "province_2025": "Thái Nguyên"}, "province"),
    ],
)
def test_map_counts_follow_the_province_facet_in_use(client, args, level):
    data = api(client, **args)
    assert data["map"]["level"] == level
    facet = {f["value"]: f["count"] for f in data["facets"][level] if f["count"]}
    counts = {c["value"]: c["count"] for c in data["map"]["counts"]}
    assert counts == facet
    for c in data["map"]["counts"]:
        assert 8 < c["lat"] < 24 and 102 < c["lon"] < 110, c
        place = locate(c["value"], level)
        assert place and (round(place.lat, 4), round(place.lon, 4)) == (c["lat"], c["lon"])


def test_map_svg_links_filter_by_province(client):
    page = html(client, q="cán bộ")
    drawing = svg(page, "map")
    assert '<title id="map-title">Bản đồ số bài theo tỉnh, thành (khi đăng)</title>' in drawing
    # Every province is drawn as a dot (the country's shape), the matching ones as links.
    assert drawing.count('class="place"') == len(places("province")) == 63
    links = Page(drawing).links
    data = api(client, q="cán bộ")
    assert len(links) == len(data["map"]["counts"]) == 2  # odd articles: Bắc Kạn, Thái Nguyên
    for link in links:
        label = re.fullmatch(r"Tỉnh (.+): (\d+) bài", link["text"])
        assert label, link["text"]
        name, count = label.groups()
        args = dict(parse_qsl(urlsplit(link["href"]).query))
        assert args["province"] == name
        assert api(client, **args)["total"] == int(count)


def test_map_after_2025_has_34_provinces(client):
    drawing = svg(html(client, province_view="2025"), "map")
    assert drawing.count('class="place"') == len(places("province_2025")) == 34
    assert "(hiện nay)" in drawing
    assert "province_2025=Th%C3%A1i+Nguy%C3%AAn" in drawing


@pytest.mark.parametrize("value", ["x", "2024", "province_2025", "<b>"])
def test_bad_province_view_is_refused_clearly(client, value):
    response = client.get("/api/search", query_string={"province_view": value})
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "bad_province_view" and "province_view" in body["message"]
    assert client.get("/search", query_string={"province_view": value}).status_code == 400


@pytest.mark.parametrize(
    "name, level, expected",
    [
        ("Điện Biên", "province", "Điện Biên"),
        ("TP. Hồ Chí Minh", "province_2025", "Hồ Chí Minh"),
        ("Thành phố Hà Nội", "province", "Hà Nội"),
        ("Thừa Thiên Huế", "province", "Huế"),
        ("Bắc Kạn", "province", "Bắc Kạn"),
        ("Bắc Kạn", "province_2025", None),  # merged into Thái Nguyên in 2025
        ("Atlantis", "province", None),
    ],
)
def test_province_names_are_located(name, level, expected):
    place = locate(name, level)
    assert (place.name if place else None) == expected


def test_engine_refuses_an_unknown_map_level(facet_index):
    from search.engine import Engine
    from search.errors import BadQuery

    with Engine(facet_index) as engine:
        with pytest.raises(BadQuery) as err:
            engine.search("", map_level="district")
        assert err.value.code == "bad_map_level"
        assert engine.search("", map_level="province_2025").map["level"] == "province_2025"
