"""CSV export: /search.csv and `vnsearch search --csv`, over a real index, in the page's order."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from web_helpers import EXTRA, Page

from search.article import Article
from search.cli import cli
from search.export import BOM, COLUMNS, cell, filename, slug

FORMULA_TITLE = "=cmd|' /C calc'!A0 cán bộ xã"
FORMULA_ID = "exp/formula"
UNDATED_ID = "exp/undated"
ARTICLES = [
    *EXTRA,
    Article(
        id=FORMULA_ID,
        title=FORMULA_TITLE,
        body="Cán bộ xã tiếp dân định kỳ.",
        outlet='+Báo, "thử"',
        province="Điện Biên",
        province_2025="Điện Biên",
        topics=["Tổ chức cán bộ", "Cải cách hành chính"],
        date=dt.date(2024, 5, 2),
        url="https://example.vn/a?b=1,2",
    ),
    Article(
        id=UNDATED_ID,
        title="Cán bộ xã học tập kinh nghiệm hòa giải",
        body="Đoàn cán bộ xã tham quan mô hình hòa giải ở cơ sở.",
        province="Lạng Sơn",
        province_2025="Lạng Sơn",
        topics=["Tổ chức cán bộ"],
    ),
]


@pytest.fixture(scope="module")
def export_index(index_with):
    """The session index plus an article with a formula-looking title and an undated one."""
    return index_with(ARTICLES, "export")


@pytest.fixture(scope="module")
def client(export_index, client_for):
    """Flask's test client of an app over the export index."""
    return client_for(export_index)


@pytest.fixture(scope="module")
def page_engine(export_index, engine_for):
    """An engine like the app's (with its suggester), for the page's expected hits."""
    return engine_for(export_index)


def read_csv(data: bytes) -> list[dict]:
    """Rows of a CSV download (the BOM checked and removed)."""
    assert data.startswith(BOM.encode("utf-8"))
    text = data.decode("utf-8")[1:]
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == COLUMNS
    return [dict(zip(COLUMNS, r)) for r in rows[1:]]


SEARCHES = [
    {"q": "cán bộ"},
    {"q": "can bo xa", "sort": "date"},
    {"q": "cán bộ", "province": "Điện Biên"},
    {"q": "hòa giải", "accents": "any"},
    {"q": "UBND", "expand": "0"},
    {"q": "", "date_from": "2023", "date_to": "06/2024"},
    {"q": "cán bộ", "topic": "Tổ chức cán bộ", "date_to": "31/12/2023"},
]


@pytest.mark.parametrize("args", SEARCHES)
def test_csv_rows_are_the_pages_hits_in_order_and_as_many_as_total(client, args):
    r = client.get("/search.csv", query_string=args)
    assert r.status_code == 200
    assert r.mimetype == "text/csv" and r.mimetype_params["charset"] == "utf-8"
    rows = read_csv(r.data)
    api = client.get("/api/search", query_string={**args, "per_page": "100"}).get_json()
    assert len(rows) == api["total"]
    assert [row["id"] for row in rows[: len(api["hits"])]] == [h["id"] for h in api["hits"]]
    first_page = client.get("/api/search", query_string=args).get_json()["hits"]
    for row, hit in zip(rows, first_page):
        assert row["title"] == cell(hit["title"])
        assert row["date"] == (hit["date"] or "")
        assert row["province"] == (hit["province"] or "")
        assert row["province_2025"] == (hit["province_2025"] or "")
        assert row["topics"] == "; ".join(hit["topics"])
        assert row["url"] == (hit["url"] or "")


def test_csv_rows_follow_the_pages_one_after_another(client):
    rows = read_csv(client.get("/search.csv", query_string={"q": "xã"}).data)
    pages = []
    for page in (1, 2, 3):
        pages += [
            h["id"]
            for h in client.get(
                "/api/search", query_string={"q": "xã", "per_page": "4", "page": str(page)}
            ).get_json()["hits"]
        ]
    assert len(rows) > 8
    assert [row["id"] for row in rows[: len(pages)]] == pages


def test_csv_keeps_vietnamese_and_neutralises_formulas(client):
    r = client.get("/search.csv", query_string={"q": "cán bộ", "province": "Điện Biên"})
    rows = {row["id"]: row for row in read_csv(r.data)}
    formula = rows[FORMULA_ID]
    assert formula["title"] == "'" + FORMULA_TITLE  # text in a spreadsheet, not a formula
    assert formula["outlet"] == '\'+Báo, "thử"'
    assert formula["topics"] == "Tổ chức cán bộ; Cải cách hành chính"
    assert formula["url"] == "https://example.vn/a?b=1,2"
    assert formula["date"] == "2024-05-02"
    assert "Điện Biên kiện toàn đội ngũ cán bộ cấp xã sau sắp xếp" in {
        row["title"] for row in rows.values()
    }
    assert b"\r\n" in r.data  # RFC 4180 line ends, as Excel expects


def test_undated_article_has_an_empty_date(client):
    rows = {
        row["id"]: row
        for row in read_csv(client.get("/search.csv", query_string={"q": "hòa giải"}).data)
    }
    assert rows[UNDATED_ID]["date"] == ""


@pytest.mark.parametrize(
    "q, name",
    [
        ("Cán bộ xã", "vnsearch-can-bo-xa.csv"),
        ("", "vnsearch-tat-ca.csv"),
        ('Đắk Lắk "UBND"', "vnsearch-dak-lak-ubnd.csv"),
        ("=1+1", "vnsearch-1-1.csv"),
    ],
)
def test_download_name(client, q, name):
    r = client.get("/search.csv", query_string={"q": q})
    assert r.headers["Content-Disposition"] == f"attachment; filename={name}"
    assert filename(q) == name


def test_slug_is_short_ascii():
    s = slug("Ủy ban nhân dân " * 40)
    assert len(s) <= 60 and s.isascii() and not s.endswith("-")


def test_no_match_is_a_header_only(client):
    r = client.get("/search.csv", query_string={"q": "zzzqqqxxx"})
    assert r.status_code == 200
    assert read_csv(r.data) == []


@pytest.mark.parametrize(
    "args", [{"date_from": "abc"}, {"sort": "random"}, {"year": "x"}, {"accents": "maybe"}]
)
def test_bad_arguments_are_a_400_page_not_a_broken_file(client, args):
    r = client.get("/search.csv", query_string={"q": "xã", **args})
    assert r.status_code == 400
    assert r.mimetype == "text/html"
    assert "Content-Disposition" not in r.headers


def test_search_page_links_the_csv_with_its_filters(client):
    r = client.get(
        "/search",
        query_string={"q": "cán bộ", "province": "Điện Biên", "date_from": "2022", "page": "1"},
    )
    links = Page(r.text).find(text="Tải CSV")
    assert len(links) == 1
    href = links[0]["href"]
    assert href.startswith("/search.csv?")
    assert "page=" not in href
    assert (
        client.get(href).data
        == client.get(
            "/search.csv",
            query_string={"q": "cán bộ", "province": "Điện Biên", "date_from": "2022"},
        ).data
    )


def test_cli_csv_is_the_sites_csv(client, runner, export_index):
    result = runner.invoke(
        cli,
        [
            "search",
            "cán bộ",
            "--index",
            str(export_index),
            "--province",
            "Điện Biên",
            "--sort",
            "date",
            "--csv",
        ],
    )
    assert result.exit_code == 0, result.output
    site = client.get(
        "/search.csv", query_string={"q": "cán bộ", "province": "Điện Biên", "sort": "date"}
    ).data
    assert result.stdout_bytes == site
    assert len(read_csv(site)) >= 3


def test_cli_csv_limit_all(runner, export_index):
    everything = runner.invoke(cli, ["search", "xã", "--index", str(export_index), "--csv"])
    two = runner.invoke(
        cli, ["search", "xã", "--index", str(export_index), "--csv", "--limit-all", "2"]
    )
    assert two.exit_code == 0, two.output
    assert read_csv(two.stdout_bytes) == read_csv(everything.stdout_bytes)[:2]


def test_cli_csv_takes_the_date_forms(runner, export_index):
    by_year = runner.invoke(
        cli, ["search", "", "--index", str(export_index), "--csv", "--from", "2023", "--to", "2024"]
    )
    by_day = runner.invoke(
        cli,
        [
            "search",
            "",
            "--index",
            str(export_index),
            "--csv",
            "--from",
            "01/01/2023",
            "--to",
            "2024-12-31",
        ],
    )
    assert by_year.exit_code == 0, by_year.output
    rows = read_csv(by_year.stdout_bytes)
    assert rows and all("2023-01-01" <= row["date"] <= "2024-12-31" for row in rows)
    assert by_year.stdout_bytes == by_day.stdout_bytes


def test_engine_export_matches_every_id(page_engine):
    rows = list(page_engine.export("cán bộ", province=["Điện Biên", "Lạng Sơn"]))
    assert sorted(r["id"] for r in rows) == sorted(
        page_engine.match_ids("cán bộ", province=["Điện Biên", "Lạng Sơn"])
    )
    assert len(list(page_engine.export("cán bộ", limit=3))) == 3
