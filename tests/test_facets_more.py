"""Outlet and district facets, the full list of a long facet with its filter box, the
province switch "khi đăng | hiện nay" and the "Bộ lọc" fold, on a real index."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from facet_corpus import OUTLETS
from web_helpers import Page

from search.cli import cli
from search.engine import Engine


@pytest.fixture(scope="module")
def engine(facet_index):
    with Engine(facet_index) as e:
        yield e


@pytest.fixture(scope="module")
def client(facet_index, client_for):
    return client_for(facet_index)


def page(client, **args) -> str:
    response = client.get("/search", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def box(html: str, name: str) -> str:
    match = re.search(rf'<section class="facet" id="facet-{name}".*?</section>', html, re.DOTALL)
    return match.group(0) if match else ""


@pytest.mark.parametrize("name", ["outlet", "district"])
@pytest.mark.parametrize("q", ["", "cán bộ", "hoi nghi"])
def test_outlet_and_district_counts_equal_the_filtered_totals(engine, name, q):
    result = engine.search(q)
    values = {f.value: f.count for f in result.facets[name]}
    if not q:
        assert len(values) == (16 if name == "outlet" else 4)
    for value, count in values.items():
        assert engine.search(q, **{name: value}).total == count


def test_outlet_and_district_filters_in_the_api_combine(client):
    one = client.get("/api/search", query_string={"outlet": OUTLETS[1]}).get_json()
    assert one["filters"]["outlet"] == [OUTLETS[1]]
    both = client.get(
        "/api/search", query_string=[("outlet", OUTLETS[1]), ("outlet", OUTLETS[2])]
    ).get_json()
    assert both["total"] == one["total"] + 3  # 48 articles over 16 outlets
    narrowed = client.get(
        "/api/search", query_string={"outlet": OUTLETS[1], "district": "Ba Bể"}
    ).get_json()
    assert narrowed["total"] == 3  # i = 1, 17, 33: i % 4 == 1
    assert {f["value"]: f["count"] for f in narrowed["facets"]["district"]}["Ba Bể"] == 3


def test_cli_outlet_and_district(runner, facet_index):
    result = runner.invoke(
        cli,
        [
            "search",
            "--index",
            str(facet_index),
            "--outlet",
            OUTLETS[1],
            "--district",
            "Ba Bể",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == 3 and all(h["outlet"] == OUTLETS[1] for h in data["hits"])


def test_chips_remove_outlet_and_district(client):
    html = page(client, outlet=OUTLETS[3], district="Đại Từ")
    chips = {c["text"]: c["href"] for c in Page(html).find(**{"class": "chip"})}
    assert set(chips) == {f"Báo: {OUTLETS[3]} × (bỏ lọc)", "Huyện: Đại Từ × (bỏ lọc)"}
    args = dict(parse_qsl(urlsplit(chips["Huyện: Đại Từ × (bỏ lọc)"]).query))
    assert args == {"outlet": OUTLETS[3]}


def test_long_facet_shows_ten_and_a_link_to_all(client):
    html = page(client)
    outlets = box(html, "outlet")
    assert len(re.findall(r"<li", outlets)) == 10
    link = Page(outlets).find(text="Xem tất cả (16)")
    assert len(link) == 1
    assert link[0]["href"].endswith("facet=outlet#facet-outlet")
    # Short facets list every value with no such link.
    assert "Xem tất cả" not in box(html, "district")
    assert len(re.findall(r"<li", box(html, "district"))) == 4


def test_selected_values_stay_in_the_short_list(client):
    outlets = box(page(client, outlet=OUTLETS[15]), "outlet")
    assert 'aria-current="true"' in outlets and OUTLETS[15] in outlets


@pytest.mark.parametrize(
    "facet_q, expected",
    [
        ("", OUTLETS),
        ("mường nhé", ["Đài Phát thanh Mường Nhé"]),
        ("MUONG NHE", ["Đài Phát thanh Mường Nhé"]),  # accents and case ignored
        ("phuong 1", [o for o in OUTLETS if "phương 1" in o]),
        ("không có", []),
        ("x" * 500, []),  # long input is cut, no error
    ],
)
def test_full_list_is_filtered_on_the_server(client, facet_q, expected):
    html = page(client, q="", facet="outlet", facet_q=facet_q)
    outlets = box(html, "outlet")
    values = re.findall(r'<span class="value">([^<]+)', outlets)
    assert sorted(values) == sorted(expected)
    assert '<form class="facet-filter" method="get"' in outlets
    assert 'name="facet" value="outlet"' in outlets
    assert "Thu gọn" in outlets
    if not expected:
        assert "Không có mục nào khớp" in outlets
    # The expanded list opens the "Bộ lọc" fold on phones.
    assert '<details class="filters" id="filters" open>' in html


def test_full_list_keeps_the_search_and_its_links_leave_it(client):
    html = page(client, q="cán bộ", district="Ba Bể", facet="outlet")
    outlets = box(html, "outlet")
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', outlets))
    assert hidden == {"q": "cán bộ", "district": "Ba Bể", "facet": "outlet"}
    for link in Page(outlets).links:
        args = dict(parse_qsl(urlsplit(link["href"]).query))
        assert "facet" not in args and "facet_q" not in args
        assert args.get("district") == "Ba Bể"


@pytest.mark.parametrize("facet, expanded", [("nope", None), ("<script>", None), ("year", "year")])
def test_facet_to_expand_is_a_known_name_or_ignored(client, facet, expanded):
    html = page(client, facet=facet)
    forms = re.findall(r'<form class="facet-filter"[^>]*action="[^"]*#facet-(\w+)"', html)
    assert forms == ([expanded] if expanded else [])
    assert "<script>" not in html.split("<main", 1)[-1]
    assert "Xem tất cả (16)" in box(html, "outlet")


@pytest.mark.parametrize(
    "args, listed, current",
    [
        ({}, "province", "khi đăng"),
        ({"province_view": "2025"}, "province_2025", "hiện nay"),
        ({"province_2025": "Thái Nguyên"}, "province_2025", "hiện nay"),
        ({"province": "Bắc Kạn"}, "province", "khi đăng"),
    ],
)
def test_one_province_list_at_a_time(client, args, listed, current):
    html = page(client, **args)
    other = "province" if listed == "province_2025" else "province_2025"
    assert box(html, listed) and not box(html, other)
    switch = re.search(r'<p class="segmented".*?</p>', box(html, listed), re.DOTALL)
    assert switch
    links = Page(switch.group(0)).links
    assert [k["text"] for k in links] == ["khi đăng", "hiện nay"]
    assert [k["text"] for k in links if k["current"] == "true"] == [current]
    for k in links:
        got = dict(parse_qsl(urlsplit(k["href"]).query))
        assert got["province_view"] == ("2025" if k["text"] == "hiện nay" else "published")
        assert all(
            got.get(name) == value for name, value in args.items() if name != "province_view"
        )


def test_filters_fold_is_closed_by_default_with_the_count_of_chips(client):
    html = page(client, outlet=OUTLETS[0], district="Mường Chà")
    assert '<details class="filters" id="filters">' in html
    summary = re.search(r"<summary>Bộ lọc(.*?)</summary>", html, re.DOTALL)
    assert summary and "(2 đang chọn)" in summary.group(1)
