"""Newest-first and the feed of the newest are offered only when results have dates;
undated articles say "không rõ ngày" wherever a date would be (hits, article page, feed, CLI)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from web_helpers import Page

from search.article import Article
from search.cli import cli

ATOM = "{http://www.w3.org/2005/Atom}"
FEED_TITLE = 'title="Bài mới nhất khớp tìm kiếm này"'


def _articles(dated: bool) -> list[Article]:
    """Six articles on pumping stations, all dated or none."""
    return [
        Article(
            id=f"{'dated' if dated else 'undated'}/{i}",
            title=f"Trạm bơm số {i} của xã Mường Luân hoàn thành",
            body=f"Trạm bơm số {i} phục vụ tưới tiêu cho ba thôn của xã.",
            date=dt.date(2024, 1 + i, 10) if dated else None,
            province="Điện Biên",
            province_2025="Điện Biên",
            topics=["Kinh tế"],
        )
        for i in range(6)
    ]


@pytest.fixture(scope="module")
def undated(articles_index):
    return articles_index(_articles(dated=False), name="undated")


@pytest.fixture(scope="module")
def dated(articles_index):
    return articles_index(_articles(dated=True), name="dated")


@pytest.fixture(scope="module")
def mixed(articles_index):
    return articles_index(_articles(True)[:2] + _articles(False)[2:], name="mixed")


@pytest.mark.parametrize("q", ["trạm bơm", ""])
def test_no_newest_sort_nor_feed_when_nothing_is_dated(client_for, undated, q):
    r = client_for(undated).get("/search", query_string={"q": q})
    assert r.status_code == 200
    links = Page(r.text)
    assert links.find(text="Mới nhất") == []
    assert links.find(text="Liên quan nhất")
    assert "application/atom+xml" not in r.text and FEED_TITLE not in r.text
    assert not [a for a in links.links if (a["href"] or "").startswith("/search.atom")]
    assert r.text.count('<span class="undated">không rõ ngày</span>') == 6


@pytest.mark.parametrize("name", ["dated", "mixed"])
def test_newest_sort_and_feed_when_some_are_dated(client_for, request, name):
    r = client_for(request.getfixturevalue(name)).get("/search", query_string={"q": "trạm bơm"})
    links = Page(r.text)
    assert links.find(text="Mới nhất")
    feed = [a for a in links.links if (a["href"] or "").startswith("/search.atom")]
    assert [a["text"] for a in feed] == ["Atom: bài mới nhất"]
    assert feed[0]["href"] == "/search.atom?q=tr%E1%BA%A1m+b%C6%A1m"
    assert '<link rel="alternate" type="application/atom+xml" ' + FEED_TITLE in r.text
    undated_hits = r.text.count('<span class="undated">không rõ ngày</span>')
    assert undated_hits == (0 if name == "dated" else 4)


def test_a_date_filter_means_every_result_is_dated(client_for, mixed):
    r = client_for(mixed).get("/search", query_string={"q": "trạm bơm", "date_from": "2024"})
    assert Page(r.text).find(text="Mới nhất") and FEED_TITLE in r.text
    assert "không rõ ngày</span>" not in r.text


def test_feed_entries_of_undated_articles_say_so(client_for, mixed):
    r = client_for(mixed).get("/search.atom", query_string={"q": "trạm bơm"})
    assert r.status_code == 200
    entries = ET.fromstring(r.data).findall(f"{ATOM}entry")
    assert len(entries) == 6
    by_id = {e.findtext(f"{ATOM}id", "").rsplit("/articles/", 1)[1]: e for e in entries}
    for article_id, entry in by_id.items():
        summary = entry.findtext(f"{ATOM}summary", "")
        if article_id.startswith("undated/"):
            assert summary.startswith("<p><em>không rõ ngày</em></p>")
            # Its time is when it was indexed (no date of 1970), as the API says.
            api = client_for(mixed).get(f"/api/articles/{article_id}").get_json()
            updated = entry.findtext(f"{ATOM}updated", "")
            assert updated == api["indexed"]
            when = dt.datetime.strptime(updated, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
            now = dt.datetime.now(dt.UTC)
            assert now - dt.timedelta(hours=6) < when <= now  # this session's index
        else:
            assert "không rõ ngày" not in summary
            assert entry.findtext(f"{ATOM}updated", "").startswith("2024-0")
    # Newest first: the dated ones lead.
    assert [i.split("/")[0] for i in by_id][:2] == ["dated", "dated"]


@pytest.mark.parametrize(
    "article_id, shown",
    [
        ("undated/3", '<dt>Ngày đăng</dt><dd><span class="undated">không rõ ngày</span></dd>'),
        ("dated/1", '<dt>Ngày đăng</dt><dd><time datetime="2024-02-10">10/02/2024</time></dd>'),
    ],
)
def test_article_page_says_when_or_that_it_is_unknown(client_for, mixed, article_id, shown):
    r = client_for(mixed).get(f"/articles/{article_id}")
    assert r.status_code == 200
    assert shown in r.text
    # Its related articles (the others of the index) are labelled the same way.
    related = r.text[r.text.index('<aside class="related"') :]
    assert "không rõ ngày" in related


@pytest.mark.parametrize(
    "name, heading, link",
    [
        ("undated", "Bài viết trong chỉ mục", "/search"),
        ("dated", "Bài mới nhất", "/search?sort=date"),
    ],
)
def test_home_page_says_newest_only_with_dates(client_for, request, name, heading, link):
    r = client_for(request.getfixturevalue(name)).get("/")
    assert f'<h2 id="recent-title">{heading}</h2>' in r.text
    assert Page(r.text).find(text="Xem tất cả bài viết")[0]["href"] == link


def test_cli_lists_undated_hits_as_such(runner, mixed):
    result = runner.invoke(cli, ["search", "trạm bơm", "--index", str(mixed), "--limit", "6"])
    assert result.exit_code == 0, result.output
    metas = [line.strip() for line in result.output.splitlines() if "Điện Biên" in line]
    assert sum(m.startswith("không rõ ngày · Điện Biên") for m in metas) == 4
    assert sum(m.startswith("2024-0") for m in metas) == 2
