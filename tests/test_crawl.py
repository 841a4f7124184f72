"""`vnsearch crawl` against a real fixture site on 127.0.0.1 (tests/crawl_site.py).

The module crawls one site three times into one index (first run, an unchanged
second run, a third after a new feed entry) and checks, from the site's own
request log, what was asked for and when; then the crawl state, `--status`,
`--every`, `--since`, `--max-pages`, bad input, and a crawl killed with -9.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import crawl_site as cs
import pytest
from click.testing import CliRunner, Result

from search.backends import iter_articles
from search.check import check_index
from search.cli import cli
from search.crawl.cli import _Progress, parse_duration
from search.crawl.run import HostCounts
from search.crawl.sources import DATA, load_sources
from search.crawl.state import last_crawled, state_path
from search.crawl.urls import article_id, host_of
from search.extract.outlets import outlets

# Letters only Vietnamese writes (see test_messages.py).
VIETNAMESE = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]")

AGENT = "vnsearch-test/1 (+http://127.0.0.1/lien-he)"
ARGS = ("--delay", "0", "--timeout", "0.5", "--max-bytes", "1000000", "--user-agent", AGENT)
# Timing slack for the spacing checks (the clock and the loopback).
SLACK = 0.02


@dataclass
class Run:
    """One crawl: the command's result, the requests the site saw, the index."""

    result: Result
    hits: list
    index_dir: Path

    @property
    def report(self) -> dict:
        return json.loads(self.result.stdout.splitlines()[-1])


def crawl(*args):
    return CliRunner().invoke(cli, ["crawl", *args], catch_exceptions=False)


def crawl_into(site, index_dir, *more) -> Run:
    """A crawl of the site, with the requests that arrived while it ran."""
    started = time.monotonic()
    result = crawl(site.base + "/", "--index", str(index_dir), *ARGS, *more)
    ended = time.monotonic()
    # By arrival: the slow page is logged when answered, maybe during a later run.
    return Run(
        result,
        sorted((h for h in site.hits() if started <= h.at <= ended), key=lambda h: h.at),
        index_dir,
    )


def stored(index_dir) -> list:
    return list(iter_articles(index_dir))


@pytest.fixture(scope="module")
def site():
    with cs.Site() as s:
        yield s


@pytest.fixture(scope="module")
def first(site, tmp_path_factory):
    return crawl_into(site, tmp_path_factory.mktemp("crawl") / "index", "--json")


@pytest.fixture(scope="module")
def second(first, site):
    return crawl_into(site, first.index_dir)


@pytest.fixture(scope="module")
def third(second, site):
    site.publish_new()
    return crawl_into(site, second.index_dir, "--json")


# --- the first run ---------------------------------------------------------------------


def test_first_run_reports_every_outcome_with_its_reason(first, site):
    assert first.result.exit_code == 1, first.result.output  # errors: the 404, the slow page
    r = first.report
    assert (r["fetched"], r["new"], r["changed"]) == (5, 4, 0)  # one page twice: via its old URL
    assert r["skipped_by_robots"] == [site.url(cs.DISALLOWED)]
    assert {e["url"]: e["reason"] for e in r["errors"]} == {
        site.url(cs.GONE): "HTTP 404",
        site.url(cs.SLOW): "hết thời gian chờ sau 0.5 giây",
    }
    skipped = {s["url"]: s["reason"] for s in r["skipped"]}
    assert skipped[site.url(cs.OVERSIZED)] == "lớn hơn 1000000 byte"
    assert skipped[site.url(cs.NOT_HTML)] == "không phải HTML (application/pdf)"
    assert (
        skipped[site.url(cs.OFFSITE)]
        == f"chuyển hướng ra ngoài trang, tới {site.other_base}{cs.ARTICLES[0]}"
    )
    # People read every reason: Vietnamese, or an HTTP status alone.
    for reason in [*skipped.values(), *(e["reason"] for e in r["errors"])]:
        assert VIETNAMESE.search(reason) or re.fullmatch(r"HTTP \d{3}", reason), reason


def test_disallowed_and_unwanted_urls_are_never_requested(first, site):
    paths = {h.path for h in first.hits}
    assert cs.DISALLOWED not in paths  # listed by the feed, the home page and a sitemap
    assert cs.PDF_LINK not in paths  # listed by a sitemap: not a page
    assert not set(cs.MENU) & paths  # menu links do not look like articles
    assert {h.host for h in first.hits} == {host_of(site.base)}  # never another site
    assert {h.agent for h in first.hits} == {AGENT}
    assert {cs.FEED, cs.SITEMAP_INDEX, cs.SITEMAP, cs.SITEMAP_GZ} <= paths


def test_every_allowed_article_is_indexed_once_with_its_canonical_url(first, site):
    articles = stored(first.index_dir)
    expected = {site.canonical(i) for i in (0, 1, 2, 3)}
    assert sorted(a.url for a in articles) == sorted(expected)
    for a in articles:
        assert a.id == article_id(a.url)
        assert a.urls == [a.url]  # never the old URL that redirected
        assert a.source_path == a.url
    by_url = {a.url: a for a in articles}
    seed = {i: site.articles[i] for i in range(4)}
    for i in range(4):
        got = by_url[site.canonical(i)]
        # The same article as the seed it was built from; the page declared in
        # Windows-1258 (i == 2) too.
        assert (got.title, got.date, got.author, got.lead, got.body, got.province) == (
            seed[i].title,
            seed[i].date,
            seed[i].author,
            seed[i].lead,
            seed[i].body,
            seed[i].province,
        )


def test_requests_to_the_host_keep_the_crawl_delay(first):
    times = sorted(h.at for h in first.hits)  # the slow page is logged when answered
    gaps = [b - a for a, b in pairwise(times[1:])]  # from robots.txt's answer on
    assert min(gaps) >= cs.CRAWL_DELAY - SLACK, gaps


def test_429_is_asked_again_after_retry_after(first):
    busy = [h for h in first.hits if h.path == cs.ARTICLES[3]]
    assert [h.status for h in busy] == [429, 200]
    assert busy[1].at - busy[0].at >= cs.RETRY_AFTER - SLACK


def test_301_is_followed_to_the_canonical_url(first):
    statuses = [(h.path, h.status) for h in first.hits]
    i = statuses.index((cs.OLD_URL, 301))
    assert statuses[i + 1] == (cs.ARTICLES[1], 200)


def test_the_site_links_crawled_articles_to_their_own_page(first, site, client_for):
    client = client_for(first.index_dir)
    canonical = site.canonical(1)
    page = client.get(f"/articles/{article_id(canonical)}").get_data(as_text=True)
    assert f'href="{canonical}" rel="external noopener">Xem bài gốc' in page
    home = client.get("/").get_data(as_text=True)
    assert "Nguồn tin tự động cập nhật" in home
    assert f'title="{host_of(site.base)}"' in home


# --- later runs --------------------------------------------------------------------------


def test_second_run_asks_only_conditionally_and_downloads_nothing_unchanged(second, first):
    assert "đã tải 0, mới 0, đã đổi 0" in second.result.stdout
    retried = {cs.SLOW}  # failed the first time: asked again, unconditionally
    asked = [h for h in second.hits if h.path not in retried]
    assert asked and all(h.conditional and h.status == 304 for h in asked), asked
    assert {h.path for h in asked} >= {"/robots.txt", "/", cs.FEED, cs.SITEMAP_INDEX}
    assert len(stored(second.index_dir)) == 4


def test_a_new_feed_entry_is_picked_up(third, site):
    r = third.report
    assert (r["new"], r["changed"]) == (1, 0)
    assert [h.status for h in third.hits if h.path == cs.ARTICLES[4]] == [200]
    # The feed changed: its other entries are asked again, only conditionally.
    for path in (cs.ARTICLES[0], cs.ARTICLES[3], cs.OLD_URL):
        hits = [h for h in third.hits if h.path == path]
        assert hits and all(h.conditional for h in hits), (path, hits)
        assert all(h.status in (301, 304) for h in hits)
    urls = [a.url for a in stored(third.index_dir)]
    assert sorted(urls) == sorted(site.canonical(i) for i in range(5))


def test_status_prints_the_state_per_host(third, site):
    result = crawl("--status", "--index", str(third.index_dir))
    assert result.exit_code == 0, result.output
    host = host_of(site.base)
    line = next(x for x in result.stdout.splitlines() if x.startswith(host))
    assert "thu thập lần cuối 20" in line and "đã lập chỉ mục 6" in line
    assert "không còn 1" in line and "robots.txt chặn 1" in line and "bỏ qua 3" in line
    assert f"lỗi gần nhất: {site.url(cs.SLOW)}: hết thời gian chờ sau 0.5 giây" in result.stdout
    ((_, h, when),) = last_crawled(third.index_dir)
    assert h == host and when.tzinfo is not None


def test_every_crawls_again_on_its_period(third, site):
    run = crawl_into(site, third.index_dir, "--every", "0.5s", "--rounds", "2")
    assert "lượt 1: đã thu thập 1 trang web" in run.result.stdout
    assert "lượt 2: đã thu thập 1 trang web" in run.result.stdout
    robots = [h.at for h in run.hits if h.path == "/robots.txt"]
    assert len(robots) == 2 and robots[1] - robots[0] >= 0.5
    assert all(h.conditional for h in run.hits if h.path != cs.SLOW)


def test_since_skips_older_articles_and_a_larger_delay_wins(site, tmp_path):
    run = crawl_into(site, tmp_path / "index", "--since", "2023-01-01", "--json", "--delay", "0.3")
    times = [h.at for h in run.hits]
    assert min(b - a for a, b in pairwise(times)) >= 0.3 - SLACK
    assert sorted(a.url for a in stored(run.index_dir)) == sorted(
        [site.canonical(1), site.canonical(2)]
    )  # published 2023-12-01 and 2023-06-08
    reasons = [s["reason"] for s in run.report["skipped"]]
    assert "đăng ngày 2021-07-27, trước 2023-01-01" in reasons


def test_max_pages_leaves_the_rest_for_the_next_round(site, third, tmp_path):
    # `third` has put the fifth article into the feed: the site lists all five,
    # whichever tests ran before this one.
    pages = set(cs.ARTICLES.values()) | {
        cs.OLD_URL,
        cs.GONE,
        cs.SLOW,
        cs.OVERSIZED,
        cs.NOT_HTML,
        cs.OFFSITE,
    }
    one = crawl_into(site, tmp_path / "index", "--max-pages", "2")
    assert len([h for h in one.hits if h.path in pages and h.status != 301]) == 2
    two = crawl_into(site, tmp_path / "index")
    assert sorted(a.url for a in stored(tmp_path / "index")) == sorted(
        site.canonical(i) for i in range(5)
    )
    assert two.result.exit_code == 1


def test_a_sources_file_names_the_outlet_its_contact_and_other_hosts(site, tmp_path):
    other = host_of(site.other_base)
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f"""
[crawler]
contact = "mailto:tin-tuc@127.0.0.1"

[[outlet]]
name = "Cổng TTĐT huyện thử nghiệm"
home_page = "{site.base}/"
province = "Điện Biên"
feeds = ["{site.url(cs.FEED)}"]
hosts = ["{other}"]
""",
        encoding="utf-8",
    )
    started = time.monotonic()
    result = crawl(
        "--sources",
        str(sources),
        "--index",
        str(tmp_path / "index"),
        "--delay",
        "0",
        "--timeout",
        "0.5",
        "--max-bytes",
        "1000000",
    )
    hits = [h for h in site.hits() if h.at >= started]
    assert "liên hệ" not in result.stderr
    assert all("(+mailto:tin-tuc@127.0.0.1; " in h.agent for h in hits)
    # The outlet allows its other host: the off-site redirect is followed there, with
    # that host's own robots.txt, and the page is the same article (canonical URL).
    assert [(h.path, h.status) for h in hits if h.host == other] == [
        ("/robots.txt", 200),
        (cs.ARTICLES[0], 200),
    ]
    assert sorted(a.url for a in stored(tmp_path / "index")) == sorted(
        site.canonical(i) for i in range(5 if site.published_new else 4)
    )
    assert ("Cổng TTĐT huyện thử nghiệm", host_of(site.base)) in [
        (outlet, host) for outlet, host, _ in last_crawled(tmp_path / "index")
    ]


def test_a_redirected_robots_txt_is_followed(tmp_path):
    with cs.Site(robots_moved=True) as site:
        run = crawl_into(site, tmp_path / "index", "--max-pages", "3")
    paths = [h.path for h in run.hits]
    assert paths[:2] == ["/robots.txt", cs.ROBOTS_MOVED]
    assert cs.DISALLOWED not in paths
    times = [h.at for h in run.hits]
    assert min(b - a for a, b in pairwise(times[2:])) >= cs.CRAWL_DELAY - SLACK


# --- pieces and bad input ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("1h", 3600),
        ("30m", 1800),
        ("1h30m", 5400),
        ("90s", 90),
        ("2d", 172800),
        ("45", 45),
        ("0.5s", 0.5),
        ("1H 15M", 4500),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "h", "1x", "0", "1h x", "-5m", "0s"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_sources_file_lists_every_outlet_of_the_outlets_table():
    sources = load_sources(DATA)
    by_host = {host_of(s.home_page): s for s in sources.outlets}
    for o in outlets():
        s = by_host[host_of(o.home_page)]
        assert (s.name, s.province) == (o.name, o.province)


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "không có gì để thu thập"),
        (
            ["seeds/"],
            "Lỗi: không thu thập được: 'seeds/' không phải là địa chỉ http(s) hay tệp nguồn",
        ),
        (["ftp://example.invalid/rss"], "không phải là địa chỉ http(s) hay tệp nguồn (.toml)"),
        (["--every", "1x", "http://127.0.0.1:9/"], "không phải là thời lượng"),
        (["--sources", "{bad}"], "bad.toml không phải TOML hợp lệ. Chi tiết: "),
        (["--sources", "{missing}"], "tệp nguồn không dùng được: không đọc được "),
        (["--sources", "{missing}"], "none.toml: không tồn tại"),
        (
            ["--sources", "{nohome}"],
            "nohome.toml: [[outlet]] thứ 1 (Báo): home_page không phải là địa chỉ http(s)",
        ),
        (["--status"], "chưa có trạng thái thu thập"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    (tmp_path / "bad.toml").write_text("[[outlet]\nname = 1", encoding="utf-8")
    (tmp_path / "nohome.toml").write_text(
        '[[outlet]]\nname = "Báo"\nhome_page = "báo.vn"\n', encoding="utf-8"
    )
    args = [
        a.format(
            bad=tmp_path / "bad.toml",
            missing=tmp_path / "none.toml",
            nohome=tmp_path / "nohome.toml",
        )
        for a in args
    ]
    result = CliRunner().invoke(cli, ["crawl", "--index", str(tmp_path / "ix"), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    before_detail = result.output.split("Chi tiết:")[0]  # tomllib's own words may follow
    assert not re.search(r"\b(is|not|cannot|read|neither|nor|expected)\b", before_detail)
    assert not (tmp_path / "ix" / "crawl-state.sqlite").exists() or args == ["--status"]


def test_progress_is_one_line_per_host(capsys):
    progress = _Progress()
    progress("a.vn", HostCounts(fetched=1, new=1, queued=3))
    progress("a.vn", HostCounts(fetched=2, new=1, unchanged=1, queued=2))
    progress("b.gov.vn", HostCounts(errors=1))
    progress.end()
    lines = capsys.readouterr().err.split("\n")
    assert [line.rpartition("\r")[2].rstrip() for line in lines] == [
        "a.vn: đã tải 2, mới 1, đã đổi 0, không đổi 1, robots.txt chặn 0, lỗi 0, còn chờ 2",
        "b.gov.vn: đã tải 0, mới 0, đã đổi 0, không đổi 0, robots.txt chặn 0, lỗi 1, còn chờ 0",
        "",
    ]


def test_last_crawled_without_a_crawl_is_empty(tmp_path):
    assert last_crawled(tmp_path) == []
    assert not state_path(tmp_path).exists()


# --- kill -9 ----------------------------------------------------------------------------


def _indexed_pages(index_dir: Path) -> int:
    path = state_path(index_dir)
    if not path.exists():
        return 0
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1)
        try:
            return db.execute(
                "SELECT count(*) FROM pages WHERE kind = 'page' AND status = 'indexed'"
            ).fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_kill_9_mid_crawl_then_rerun_loses_and_duplicates_nothing(tmp_path):
    index_dir = tmp_path / "index"
    with cs.Site() as site:
        command = [
            sys.executable,
            "-m",
            "search",
            "crawl",
            site.base + "/",
            "--index",
            str(index_dir),
            *ARGS,
            "--batch-size",
            "1",
        ]
        env = {**os.environ, "PYTHONWARNINGS": "error"}
        proc = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        try:
            deadline = time.monotonic() + 60
            while _indexed_pages(index_dir) < 1 and proc.poll() is None:
                assert time.monotonic() < deadline, "the crawl indexed nothing in 60 s"
                time.sleep(0.02)
            assert proc.poll() is None, "the crawl ended before it could be killed"
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        killed_with = {a.url for a in stored(index_dir)}
        assert 1 <= len(killed_with) < 4
        again = subprocess.run(
            command, capture_output=True, text=True, timeout=120, env=env, check=False
        )
        assert again.returncode == 1, again.stderr  # the 404 and the slow page
        articles = stored(index_dir)
        urls = [a.url for a in articles]
        assert sorted(urls) == sorted(site.canonical(i) for i in range(4))
        assert len({a.id for a in articles}) == len(articles) == 4
        assert check_index(index_dir).healthy
