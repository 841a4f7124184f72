"""Shared fixtures: a small real index built once from the seeds plus synthetic articles."""

from __future__ import annotations

import datetime as dt
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from facet_corpus import corpus as facet_corpus
from helpers import add_articles, copy_index, write_republished
from server_helpers import HOST, Server
from web_helpers import EXTRA

from search.article import Article
from search.engine import Engine, open_engine
from search.ingest import index_paths

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

# Short synthetic articles that exercise the Vietnamese cases, with facet values
# (the seeds get theirs from the extractor). Ids are chosen to be awkward.
SYNTHETIC = [
    Article(
        id="syn/hiểu một lần",
        title="Người dân hiểu rõ chính sách mới",
        body="Cán bộ xã giải thích để người dân hiểu chính sách bảo hiểm.",
        province="Điện Biên",
        province_2025="Điện Biên",
        topics=["Văn hóa – xã hội"],
        date=dt.date(2024, 3, 5),
    ),
    Article(
        id="syn/hiệu nhiều lần",
        title="Hiệu quả, hiệu lực, hiệu suất công vụ",
        body="Nâng cao hiệu quả, hiệu lực và hiệu suất; hiệu quả công việc là thước đo, "
        "hiệu quả quản lý nhà nước, hiệu quả phục vụ.",
        province="Lạng Sơn",
        province_2025="Lạng Sơn",
        topics=["Cải cách hành chính", "Tổ chức cán bộ"],
        date=dt.date(2023, 11, 20),
    ),
    Article(
        id="syn/nfd",
        title=unicodedata.normalize("NFD", "Thủy lợi nội đồng ở xã Mường Luân"),
        body=unicodedata.normalize("NFD", "Công trình thủy lợi phục vụ tưới tiêu cho bà con."),
        province="Điện Biên",
        province_2025="Điện Biên",
        topics=["Kinh tế"],
        date=dt.date(2022, 6, 1),
    ),
    Article(
        id="syn/old-style",
        title="Hoà đồng với nhân dân, thuỷ chung với cách mạng",
        body="Uỷ ban nhân dân xã luôn hoà đồng, khoẻ mạnh và thuỷ chung.",
        province="Bắc Kạn",
        province_2025="Thái Nguyên",
        topics=["Xây dựng Đảng"],
        date=dt.date(2021, 2, 14),
    ),
    Article(
        id="syn/eth",
        title="ÐẠI HỘI ÐẢNG BỘ XÃ XUÂN LA",
        body="Ðại hội Ðảng bộ xã Xuân La nhiệm kỳ mới diễn ra thành công.",
        province="Bắc Kạn",
        province_2025="Thái Nguyên",
        topics=["Xây dựng Đảng"],
        date=dt.date(2020, 9, 9),
    ),
    # "hòa đồng" as one pyvi word (old-style "hoà_đồng") versus the same two
    # syllables across a word boundary ("chan hòa | đồng_bào"): same length, body
    # only, and the boundary case written first so that a tie would rank it first.
    Article(
        id="syn/across-words",
        title="Ngày hội gần dân",
        body="Không khí vui vẻ, chan hòa đồng bào các dân tộc.",
        province="Thái Nguyên",
        province_2025="Thái Nguyên",
        topics=["Văn hóa – xã hội"],
        date=dt.date(2023, 1, 11),
    ),
    Article(
        id="syn/whole-word",
        title="Cán bộ gần dân",
        body="Cán bộ xã luôn hoà đồng với bà con các dân tộc.",
        province="Thái Nguyên",
        province_2025="Thái Nguyên",
        topics=["Tổ chức cán bộ"],
        date=dt.date(2023, 1, 10),
    ),
    Article(
        id="syn/caption-only",
        title="Ngày hội đại đoàn kết toàn dân",
        body="Ngày hội diễn ra vui tươi tại thôn.",
        captions=["Đồng chí Bí thư trao quà cho hộ nghèo bản Nậm Pồ."],
        province="Điện Biên",
        province_2025="Điện Biên",
        topics=["Giảm nghèo"],
        date=dt.date(2024, 8, 30),
    ),
]


@pytest.fixture(scope="session")
def seed_dir(tmp_path_factory) -> Path:
    """A copy of the seeds, so tests may add files beside them."""
    d = tmp_path_factory.mktemp("seeds")
    for f in SEEDS.iterdir():
        shutil.copy(f, d / f.name)
    return d


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory, seed_dir) -> Path:
    """A real index of the five seeds and the synthetic articles (read-only for tests)."""
    d = tmp_path_factory.mktemp("index")
    report = index_paths([seed_dir], d, workers=1)
    assert report.indexed == 5, report
    add_articles(d, SYNTHETIC)
    return d


@pytest.fixture(scope="session")
def engine(index_dir) -> Iterator[Engine]:
    """An Engine over the shared index."""
    e = Engine(index_dir)
    yield e
    e.close()


@pytest.fixture(scope="session")
def articles_index(tmp_path_factory):
    """A factory: a real index of hand-made articles (vocabulary and pyvi words included)."""

    def build(articles: list[Article], name: str = "articles") -> Path:
        d = tmp_path_factory.mktemp(name)
        add_articles(d, articles)
        return d

    return build


@pytest.fixture(scope="session")
def index_with(index_dir, tmp_path_factory):
    """A factory: a copy of the shared index with more articles written into it."""

    def build(articles: list[Article], name: str = "index-with") -> Path:
        return copy_index(index_dir, tmp_path_factory.mktemp(name) / "index", articles)

    return build


@pytest.fixture(scope="session")
def facet_index(articles_index) -> Path:
    """A real index of tests/facet_corpus.py: 48 articles, 16 outlets, 4 districts (read-only)."""
    return articles_index(facet_corpus(), "facets")


@pytest.fixture(scope="session")
def engine_for():
    """A factory: an engine with its suggester over an index (closed after the session)."""
    opened = []

    def make(index_dir: Path):
        e = open_engine(index_dir)
        opened.append(e)
        return e

    yield make
    for e in opened:
        e.close_all()


@pytest.fixture(scope="session")
def client_for():
    """A factory: the Flask test client of the site over an index (more app config as keywords)."""
    from web import create_app

    def make(index_dir: Path, **config):
        return create_app({"TESTING": True, "INDEX_DIR": str(index_dir), **config}).test_client()

    return make


# --- the browser tests: a real `vnsearch serve` and Debian's headless chromium -----------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def site_index(index_with) -> Path:
    """The session index plus the web articles (a source link, hostile HTML)."""
    return index_with(EXTRA, "site")


@pytest.fixture(scope="session")
def base_url(site_index, tmp_path_factory):
    """`vnsearch serve` over ``site_index`` on a free loopback port; yields its base URL."""
    with Server(site_index, tmp_path_factory.mktemp("serve") / "serve.log", threads=4) as s:
        yield f"http://{HOST}:{s.port}"


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium, driven by Playwright (no browser download)."""
    if not CHROMIUM.exists():
        pytest.skip("needs /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(params=[(1280, 900)], ids=["desktop"])
def page(browser, request):
    """A fresh desktop page; fails the test on console errors (CSP violations included)."""
    width, height = request.param
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="vi-VN", accept_downloads=True
    )
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield pg
    context.close()
    assert errors == []


@pytest.fixture
def republished_corpus(tmp_path, seed_dir) -> Path:
    """The seeds plus one article republished under a second id (an alias, two URLs)."""
    d = tmp_path / "corpus"
    shutil.copytree(seed_dir, d)
    write_republished(d)
    return d


@pytest.fixture
def empty_index(tmp_path) -> Path:
    """A folder for a fresh index, for tests that write."""
    return tmp_path / "index"


@pytest.fixture
def runner() -> CliRunner:
    """Click's CLI runner."""
    return CliRunner()


@pytest.fixture(autouse=True, scope="session")
def _every_term_kept():
    """Every term's decoded postings may be kept (search/backends/whoosh_cache.py), not
    only those of 512 articles or more, which these small indexes never reach: each
    Whoosh search of the suite reads its terms from the files once and then from the cache."""
    from search.backends import whoosh_cache

    before, whoosh_cache.HOT_MIN_POSTINGS = whoosh_cache.HOT_MIN_POSTINGS, 1
    yield
    whoosh_cache.HOT_MIN_POSTINGS = before
