"""The two backends answer alike: Whoosh, Xapian in one database, Xapian in shards (local and
served by real xapian-tcpsrv processes on 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import threading
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import SEEDS, SYNTHETIC
from facet_corpus import corpus as facet_corpus
from helpers import add_articles
from server_helpers import TCPSRV, free_port, listening, serve_shard, served_shards, tcpsrv

from search.article import Article
from search.backends import xapian as xapian_backend
from search.backends.base import SCHEMA_VERSION
from search.backends.xapian import shard_of
from search.cli import cli
from search.engine import open_engine
from search.errors import IndexChanged, IndexOutdated, SearchError, ShardUnavailable
from search.ingest import index_paths
from search.remove import remove_articles

xapian = pytest.importorskip("xapian", reason="the xapian extra is not installed")
needs_tcpsrv = pytest.mark.skipif(TCPSRV is None, reason="xapian-tools is not installed")

ARTICLES = SYNTHETIC + facet_corpus()
SHARDS = 3

# The queries of the semantics, facet and suggestion tests, with filters and modes.
QUERIES = [
    ("can bo cap xa", {}),
    ("cán bộ cấp xã", {}),
    ("cán bộ", {"sort": "date"}),
    ("hòa giải", {}),
    ("hoà đồng", {}),
    ("thủy lợi", {}),
    ("thuỷ lợi", {"accents": "exact"}),
    ("bão", {}),
    ("dai hoi dang bo", {}),
    ('"cán bộ cấp xã"', {}),
    ("cong chuc OR vien chuc", {}),
    ("dien bien -xa", {}),
    ("UBND", {}),
    ("UBND", {"expand": False}),
    ("CBCC", {}),
    ("70/2009/QĐ-TTg", {}),
    ("qd-ttg 70/2009", {}),
    ("can bo cap xaa", {}),
    ("caans booj", {}),
    ("xã nào có nhiều cán bộ đạt chuẩn nhất?", {}),
    ("đào tạo bồi dưỡng cán bộ công chức cấp xã nâng cao chất lượng", {}),
    ("", {}),
    ("", {"province": "Điện Biên"}),
    ("can bo", {"province": ["Điện Biên", "Bắc Kạn"]}),
    ("can bo", {"province_2025": "Thái Nguyên"}),
    ("", {"topic": "Xây dựng Đảng"}),
    ("", {"year": "2023"}),
    ("", {"date_from": "2023-01", "date_to": "2023-12"}),
    ("xa", {"outlet": "Báo Địa phương 03"}),
    ("", {"district": "Ba Bể"}),
    ("hiệu quả", {"per_page": 1, "page": 2}),
    ("ngày hội", {"collapse": False}),
]


def _build(path: Path, backend: str | None, shards: int | None) -> Path:
    report = index_paths([SEEDS], path, workers=1, backend=backend, shards=shards)
    assert report.indexed == 5, report
    add_articles(path, ARTICLES)
    return path


@pytest.fixture(scope="module")
def indexes(tmp_path_factory) -> dict[str, Path]:
    """The same articles in a Whoosh index, one Xapian database and three Xapian shards."""
    root = tmp_path_factory.mktemp("backends")
    return {
        "whoosh": _build(root / "whoosh", "whoosh", None),
        "xapian": _build(root / "xapian", "xapian", None),
        "shards": _build(root / "shards", "xapian", SHARDS),
    }


@pytest.fixture(scope="module")
def servers(indexes):
    """One xapian-tcpsrv per shard of the sharded index: (processes, URLs in shard order)."""
    if TCPSRV is None:
        pytest.skip("xapian-tools is not installed")
    started = [serve_shard(indexes["shards"] / "shards" / str(k)) for k in range(SHARDS)]
    yield [p for p, _ in started], [u for _, u in started]
    for p, _ in started:
        p.terminate()
        p.wait(timeout=10)


@pytest.fixture(scope="module")
def engines(indexes):
    opened = {name: open_engine(path) for name, path in indexes.items()}
    yield opened
    for e in opened.values():
        e.close_all()


def _same(a, b) -> None:
    """Two results agree: counts, facets, understanding, and the ranking where it is clear."""
    assert (a.total, a.exact_total, a.fallback, a.corrected) == (
        b.total,
        b.exact_total,
        b.fallback,
        b.corrected,
    )
    assert (a.suggestion, a.words, a.missing, a.expanded) == (
        b.suggestion,
        b.words,
        b.missing,
        b.expanded,
    )
    assert a.facets == b.facets
    assert a.timeline == b.timeline and a.map == b.map
    ids_a, ids_b = [h.id for h in a.hits], [h.id for h in b.hits]
    assert sorted(ids_a) == sorted(ids_b)
    assert [sorted(s["id"] for s in h.similar) for h in a.hits] == [
        sorted(s["id"] for s in h.similar) for h in b.hits
    ]
    # Scores differ a little (Whoosh stores lengths in one byte): the order must
    # agree wherever the Whoosh scores differ by more than 5%.
    where = {i: k for k, i in enumerate(ids_b)}
    for i, x in enumerate(a.hits):
        for y in a.hits[i + 1 :]:
            if x.score is None or x.score > 1.05 * y.score:
                assert where[x.id] < where[y.id], (x.id, x.score, y.id, y.score)


@pytest.mark.parametrize("other", ["xapian", "shards"])
@pytest.mark.parametrize("q,kwargs", QUERIES, ids=[f"{q}|{k}" for q, k in QUERIES])
def test_xapian_answers_as_whoosh(engines, other, q, kwargs):
    # Every result on one page (ties at a page's end may fall either way).
    kwargs = {"per_page": 100, **kwargs}
    _same(engines["whoosh"].search(q, **kwargs), engines[other].search(q, **kwargs))


@pytest.mark.parametrize(
    "version,opens", [(SCHEMA_VERSION, True), (5, False), (4, False), (3, False)]
)
def test_a_xapian_index_of_another_schema_version_is_refused(
    indexes, engines, tmp_path, version, opens
):
    # Version 6 leaves a position free where punctuation ends a clause: the
    # phrases of a version 5 index (and of 4, which read alike) would span it.
    copy = shutil.copytree(indexes["xapian"], tmp_path / "copy")
    meta = copy / "vnsearch.json"
    meta.write_text(
        json.dumps({**json.loads(meta.read_text("utf-8")), "schema_version": version}), "utf-8"
    )
    if not opens:
        with pytest.raises(IndexOutdated, match=f"lược đồ phiên bản {version}"):
            open_engine(copy).search("cán bộ")
        return
    engine = open_engine(copy)
    try:
        _same(
            engines["xapian"].search("cán bộ", per_page=100), engine.search("cán bộ", per_page=100)
        )
    finally:
        engine.close_all()
    # Written to by this version, it is of this version: older code refuses it.
    add_articles(copy, [Article(id="moi", title="Hòa giải ở cơ sở", body="Tổ hòa giải xyzzy.")])
    assert json.loads(meta.read_text("utf-8"))["schema_version"] == SCHEMA_VERSION
    engine = open_engine(copy)
    try:
        assert [h.id for h in engine.search("xyzzy").hits] == ["moi"]
        assert engine.article("moi").title == "Hòa giải ở cơ sở"
        assert engine.search("cán bộ").total == engines["xapian"].search("cán bộ").total
    finally:
        engine.close_all()


@pytest.mark.parametrize("other", ["xapian", "shards"])
def test_facets_were_counted_in_a_second_thread_on_a_second_handle(engines, other):
    engine = engines[other]
    result = engine.search("cán bộ", per_page=100)
    reader = engine.searcher()
    side = reader.native._side
    # The comparisons with Whoosh above went through this path: it was taken.
    assert side is not None and side.db is reader.twin() and side.db is not reader.db
    counted, timeline, total = reader.native.facets(
        reader.native.recall(_plan(engine, "cán bộ")), {}, None, None
    )
    assert (timeline, total) == (result.timeline, result.total)
    assert {k: [(v.value, v.count) for v in vs] for k, vs in result.facets.items()} == {
        k: [(v, c) for v, c in pairs] for k, pairs in counted.items()
    }


@pytest.mark.parametrize("other", ["xapian", "shards"])
@pytest.mark.parametrize(
    "q,filters,dates",
    [
        ("", {}, None),
        ("xã", {}, None),
        ("xa", {"province": ["Điện Biên"]}, None),
        ("cán bộ", {"topic": ["Xây dựng Đảng"]}, None),
        ("", {"year": ["2023"]}, None),
        ("xa", {}, (dt.date(2021, 1, 1), dt.date(2023, 12, 31))),
        ("hiệu quả", {"province": ["Lạng Sơn", "Điện Biên"]}, None),
    ],
)
def test_facets_counted_over_the_complement_are_the_same(engines, other, q, filters, dates):
    # A query matching most of what its filters allow is counted over the rest
    # and subtracted from the filters' counts: forced both ways, the same.
    engine = engines[other]
    reader = engine.searcher()
    native = reader.native
    start, end = dates or (None, None)
    matched = native.recall(_plan(engine, q))
    direct = native.facets(matched, filters, start, end, complement=False)
    assert native.facets(matched, filters, start, end, complement=True) == direct
    assert native.facets(matched, filters, start, end) == direct
    result = engine.search(q, per_page=1, date_from=start, date_to=end, **filters)
    assert direct[2] == result.total


def _news(article_id: str, title: str) -> Article:
    """A new article of Lai Châu about the new-countryside programme."""
    return Article(
        id=article_id,
        title=title,
        body="Xã Quyết Tiến hoàn thành nông thôn mới.",
        province="Lai Châu",
        date=dt.date(2024, 5, 1),
    )


def _plan(engine, q: str):
    return engine._understand(engine.searcher(), q, "auto")[1]


@pytest.mark.parametrize("where", ["local", "remote"])
def test_a_reader_of_a_changed_index_counts_facets_in_its_own_thread(tmp_path, where):
    if where == "remote" and TCPSRV is None:
        pytest.skip("xapian-tools is not installed")
    path = _build(tmp_path / "changing", "xapian", 2)
    with served_shards(path) if where == "remote" else nullcontext() as urls:
        engine = open_engine(path, shard_urls=urls)
        try:
            before = {v.value: v.count for v in engine.search("nông thôn mới").facets["province"]}
            # A second handle (a second connection to each server) is opened at a
            # reader's first search and then stays at the reader's revision. A
            # reader without one yet, whose index changed since it opened, counts
            # in the search's own thread.
            reader = engine.source().reader()
            add_articles(path, [_news("changing/1", "Xã Quyết Tiến về đích nông thôn mới")])
            assert reader.twin() is None
            counted, _, _ = reader.native.facets_later(
                _plan(engine, "nông thôn mới"), {"province": []}, None, None
            )()
            assert reader.native._side is None and dict(counted["province"]) == before
            reader.close()
            after = engine.search("nông thôn mới")  # a new reader, with a second handle again
            assert engine.searcher() is not reader and engine.searcher().native._side is not None
            provinces = {v.value: v.count for v in after.facets["province"]}
            assert provinces == {**before, "Lai Châu": before.get("Lai Châu", 0) + 1}
        finally:
            engine.close_all()


@pytest.mark.parametrize("shards", [None, 2])
def test_a_one_term_count_follows_replaced_and_new_articles(tmp_path, shards):
    # One term is counted from its document frequency, not by a match.
    path = _build(tmp_path / "counted", "xapian", shards)
    engine = open_engine(path)
    try:
        before = {q: engine.search(q).total for q in ("Quyết", "quyet", "hoàn")}
        old = Article(id="counted/1", title="Xã Quyết Tiến", body="Xã Quyết Tiến hoàn thành.")
        add_articles(path, [old])
        mid = {q: engine.search(q).total for q in before}
        assert mid == {q: n + 1 for q, n in before.items()}
        add_articles(path, [Article(id="counted/1", title="Xã Tiến", body="Xã Tiến xong.")])
        assert {q: engine.search(q).total for q in before} == before
        assert engine.search("Quyết").total == len(engine.match_ids("Quyết"))
    finally:
        engine.close_all()


def _contents(xdoc) -> tuple:
    """What a Xapian document holds: terms with wdf and positions, values, data."""
    terms = tuple((t.term, t.wdf, tuple(t.positer)) for t in xdoc.termlist())
    return terms, tuple((v.num, v.value) for v in xdoc.values()), xdoc.get_data()


@pytest.mark.parametrize("source", sorted(p.name for p in SEEDS.iterdir()) + ["synthetic"])
def test_documents_built_in_workers_are_those_built_by_the_writer(source):
    # Workers turn the prose fields into a serialised Xapian document; the
    # writer's document from it is the one it would have built itself.
    from search.backends import worker_fields
    from search.backends.schema import document
    from search.backends.xapian import _document
    from search.ingest import prepare_article
    from search.parse import parse_record
    from search.readers import Record, read_records

    if source == "synthetic":
        articles = [a for a in ARTICLES if a.body][:3]
    else:
        articles = [parse_record(r) for r in read_records(SEEDS / source) if isinstance(r, Record)]
    for article in articles:
        p = prepare_article(article)
        fp, aliases = p.fingerprint, {"x": "h"}
        mine = _document(document(p.article, p.words, fp, aliases, prepared=p.fields))
        theirs = _document(
            document(p.article, p.words, fp, aliases, prepared=worker_fields("xapian", p.fields))
        )
        assert mine[1] == theirs[1]
        assert _contents(mine[0]) == _contents(theirs[0])
        assert len(_contents(mine[0])[0]) > 10


@pytest.mark.parametrize("q", ["can bo", "UBND", "", "hòa giải -hoà đồng"])
def test_match_ids_and_export_agree(engines, q):
    w, x = engines["whoosh"], engines["shards"]
    assert sorted(w.match_ids(q)) == sorted(x.match_ids(q))
    assert sorted(r["id"] for r in w.export(q)) == sorted(r["id"] for r in x.export(q))


@pytest.mark.parametrize("article_id", ["syn/hiểu một lần", "syn/whole-word", "syn/nfd"])
def test_articles_and_related_agree(engines, article_id):
    w, x = engines["whoosh"], engines["shards"]
    # The same article, indexed into each at its own time.
    a, b = w.article(article_id), x.article(article_id)
    assert a.indexed and b.indexed
    assert replace(a, indexed=None) == replace(b, indexed=None)
    assert [h.id for h in w.related(article_id)] == [h.id for h in x.related(article_id)]
    assert w.count() == x.count() == len(ARTICLES) + 5


@needs_tcpsrv
@pytest.mark.parametrize("q,kwargs", QUERIES[:12], ids=[q for q, _ in QUERIES[:12]])
def test_remote_shards_answer_as_local_ones(indexes, servers, engines, q, kwargs):
    _, urls = servers
    remote = open_engine(indexes["shards"], shard_urls=urls)
    try:
        a, b = engines["shards"].search(q, **kwargs), remote.search(q, **kwargs)
        assert [(h.id, h.score) for h in a.hits] == [(h.id, h.score) for h in b.hits]
        assert (a.total, a.facets, a.timeline, b.partial) == (b.total, b.facets, b.timeline, [])
        # Counted meanwhile, over a second connection to each server.
        reader = remote.searcher()
        side = reader.native._side
        assert side is not None and side.db is reader.twin() and side.db is not reader.db
    finally:
        remote.close_all()


@needs_tcpsrv
def test_a_dead_shard_is_an_error_unless_partial_results_are_asked_for(indexes, servers, runner):
    _, urls = servers
    dead = f"tcp://127.0.0.1:{free_port()}"
    broken = [urls[0], dead, urls[2]]
    engine = open_engine(indexes["shards"], shard_urls=broken)
    with pytest.raises(ShardUnavailable):
        engine.search("can bo")
    engine.close_all()

    args = ["search", "can bo", "--index", str(indexes["shards"])]
    args += [x for u in broken for x in ("--shard-url", u)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert "không trả lời" in result.output and "Traceback" not in result.output

    result = runner.invoke(cli, [*args, "--allow-partial"])
    assert result.exit_code == 0, result.output
    assert f"Kết quả chưa đầy đủ: không tìm được trên shard {dead}" in result.output
    full = open_engine(indexes["shards"], shard_urls=urls)
    part = open_engine(indexes["shards"], shard_urls=broken, allow_partial=True)
    try:
        some = part.search("can bo", per_page=100)
        assert some.partial == [dead] and 0 < some.total < full.search("can bo").total
    finally:
        full.close_all()
        part.close_all()


@needs_tcpsrv
def test_the_site_says_503_for_a_dead_shard_and_marks_partial_results(indexes, servers, client_for):
    _, urls = servers
    dead = f"tcp://127.0.0.1:{free_port()}"
    strict = client_for(indexes["shards"], SHARD_URLS=[urls[0], dead, urls[2]])
    r = strict.get("/api/search?q=can+bo")
    assert r.status_code == 503 and r.get_json()["code"] == "shard_unavailable"
    assert strict.get("/search?q=can+bo").status_code == 503
    lenient = client_for(indexes["shards"], SHARD_URLS=[urls[0], dead, urls[2]], ALLOW_PARTIAL=True)
    r = lenient.get("/api/search?q=can+bo")
    assert r.status_code == 200 and r.get_json()["partial"] == [dead]
    page = lenient.get("/search?q=can+bo").get_data(as_text=True)
    assert "Kết quả chưa đầy đủ" in page
    # Never kept by a cache, and an article of the shard that is down is not "not found".
    assert lenient.get("/api/search?q=can+bo").headers["Cache-Control"] == "no-store"
    there = next(i for i in _ids(indexes["shards"]) if shard_of(i, SHARDS) == 1)
    r = lenient.get(f"/api/articles/{there}")
    assert r.status_code == 503 and r.get_json()["code"] == "shard_unavailable"
    elsewhere = next(i for i in _ids(indexes["shards"]) if shard_of(i, SHARDS) == 0)
    assert lenient.get(f"/api/articles/{elsewhere}").status_code == 200


def _ids(path: Path) -> list[str]:
    engine = open_engine(path)
    try:
        return engine.match_ids("")
    finally:
        engine.close_all()


@needs_tcpsrv
def test_a_shard_back_after_a_partial_answer_is_searched_again(indexes, servers, monkeypatch):
    _, urls = servers
    port = free_port()
    back = f"tcp://127.0.0.1:{port}"
    monkeypatch.setattr(xapian_backend, "MISSING_RETRY_S", 0.0)
    engine = open_engine(indexes["shards"], shard_urls=[urls[0], back, urls[2]], allow_partial=True)
    full = open_engine(indexes["shards"], shard_urls=urls)
    proc = None
    try:
        assert engine.search("can bo").partial == [back]
        proc = listening(tcpsrv(indexes["shards"] / "shards" / "1", port), port)
        assert proc is not None, "xapian-tcpsrv did not start"
        again = engine.search("can bo")
        assert again.partial == [] and again.total == full.search("can bo").total
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
        engine.close_all()
        full.close_all()


@needs_tcpsrv
def test_a_write_while_serving_is_seen_by_remote_readers(tmp_path):
    path = _build(tmp_path / "live", "xapian", 2)
    with served_shards(path) as urls:
        engine = open_engine(path, shard_urls=urls)
        before = engine.search("").total
        assert "live/1" not in engine.match_ids("nông thôn mới")
        new = _news("live/1", "Tin mới về xã Quyết Tiến")
        add_articles(path, [new])
        assert "live/1" in engine.match_ids("nông thôn mới")
        assert engine.search("").total == before + 1
        assert engine.article("live/1").title == new.title
        # A replaced article keeps the index's size and count: the reader's key
        # (so the engine's per-generation arrays) changes all the same.
        key = engine.searcher().key
        moved = Article(**new.__dict__)
        moved.province = "Điện Biên"
        add_articles(path, [moved])
        assert engine.searcher().key != key
        assert [h.province for h in engine.search("Quyết Tiến").hits] == ["Điện Biên"]
        engine.close_all()


def test_commits_overtaking_a_reader_are_no_damage(tmp_path):
    # Xapian keeps the last revisions only: a search that commits overtake is told
    # to reopen (DatabaseModifiedError). The engine reopens and retries, and what
    # it may finally say is that the index keeps changing, never that it is damaged.
    path = _build(tmp_path / "busy", "xapian", 1)
    body = " ".join(f"Cán bộ xã {i} hòa giải nông thôn mới ở Lai Châu." for i in range(40))
    add_articles(path, [Article(id=f"busy/{i}", title=f"Tin {i}", body=body) for i in range(150)])
    engine = open_engine(path)
    seen: list[BaseException] = []
    found: list[int] = []
    done = threading.Event()

    def search() -> None:
        while not done.is_set():
            try:
                found.append(engine.search("cán bộ hòa giải", per_page=50).total)
            except SearchError as e:
                seen.append(e)

    readers = [threading.Thread(target=search) for _ in range(4)]
    for t in readers:
        t.start()
    try:
        for k in range(20):
            add_articles(path, [Article(id=f"busy/{k}", title=f"Tin {k} sửa", body=body + "x")])
    finally:
        done.set()
        for t in readers:
            t.join()
        engine.close_all()
    assert not [e for e in seen if not isinstance(e, IndexChanged)], seen[:3]
    assert found and set(found) == {150}


# Words of the many articles below: each article draws its own sentences, so that
# none is a near-duplicate of another (those would be folded under one result).
_WORDS = [
    *("đê", "điều", "thủy", "lợi", "trường", "học", "đường", "giao", "thông", "chợ"),
    *("nông", "sản", "giống", "lúa", "cà", "phê", "hồ", "tiêu", "rừng", "phòng", "hộ"),
    *("nước", "sạch", "trạm", "y", "tế", "nhà", "văn", "hóa", "bảo", "hiểm", "bổng"),
    *("vốn", "vay", "ngân", "sách", "xã", "hội", "nghị", "tiếp", "xúc", "cử", "tri"),
    *("lễ", "mùa", "xuân", "sạt", "lở", "đất", "hạn", "hán"),
]


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> dict[str, Path]:
    """260 articles (more than Xapian's first 100 candidates), in both backends: half
    write UBND, half Ủy ban nhân dân, each a different number of times."""
    import random

    articles = []
    for i in range(260):
        rnd = random.Random(i)
        form = "UBND" if i % 2 else "Ủy ban nhân dân"
        said = ". ".join(" ".join(rnd.sample(_WORDS, 12)) for _ in range(6))
        body = f"{form} xã họp bàn nông thôn mới. " * (1 + i % 7) + said + "."
        articles.append(
            Article(id=f"many/{i:03d}", title=f"Tin số {i} {rnd.choice(_WORDS)}", body=body)
        )
    root = tmp_path_factory.mktemp("many")
    add_articles(root / "whoosh", articles, "whoosh")
    add_articles(root / "xapian", articles, "xapian", 2)
    return {"whoosh": root / "whoosh", "xapian": root / "xapian"}


@pytest.mark.parametrize("q", ["UBND", "Ủy ban nhân dân", "nông thôn mới"])
def test_past_the_first_candidates_xapian_ranks_as_whoosh(many, q):
    # An abbreviation's forms are what Xapian picks its candidates by, as any word.
    whoosh, xap = open_engine(many["whoosh"]), open_engine(many["xapian"])
    try:
        _same(whoosh.search(q, per_page=20), xap.search(q, per_page=20))
    finally:
        whoosh.close_all()
        xap.close_all()


@pytest.mark.parametrize("backend", ["whoosh", "xapian"])
def test_every_page_shows_new_articles_and_the_pages_show_them_all(many, backend):
    # Deeper pages ask Xapian for more candidates: the pages before stay as they were.
    engine = open_engine(many[backend])
    try:
        first = engine.search("nông thôn mới", per_page=20)
        seen = [
            h.id
            for page in range(1, first.pages + 1)
            for h in engine.search("nông thôn mới", per_page=20, page=page).hits
        ]
        assert len(seen) == len(set(seen)) == first.total == 260
        again = [h.id for h in engine.search("nông thôn mới", per_page=20, page=1).hits]
        assert again == [h.id for h in first.hits]
    finally:
        engine.close_all()


@pytest.mark.parametrize("backend,shards", [("whoosh", None), ("xapian", 1), ("xapian", 3)])
def test_an_id_longer_than_a_xapian_term_is_found_replaced_and_deleted(tmp_path, backend, shards):
    # Xapian refuses terms over 245 bytes: such an id (a long URL) gets a term of
    # its own all the same, on every backend.
    path = tmp_path / "long"
    long_ids = ["long/" + "b" * 300, "long/" + "b" * 299 + "c", "long/" + "đ" * 200]
    add_articles(path, [_news(i, f"Tin dài {k}") for k, i in enumerate(long_ids)], backend, shards)
    engine = open_engine(path)
    try:
        for k, i in enumerate(long_ids):
            assert engine.article(i).title == f"Tin dài {k}"
        add_articles(path, [_news(long_ids[0], "Tin dài đã sửa")])
        assert engine.search("").total == 3
        assert engine.article(long_ids[0]).title == "Tin dài đã sửa"
        assert remove_articles(path, [long_ids[1]]).deleted == [long_ids[1]]
        assert sorted(h.id for h in engine.search("").hits) == sorted([long_ids[0], long_ids[2]])
    finally:
        engine.close_all()


def test_an_index_keeps_its_backend(indexes, runner, tmp_path):
    result = runner.invoke(
        cli, ["index", str(SEEDS), "--index", str(indexes["whoosh"]), "--backend", "xapian"]
    )
    assert result.exit_code == 2 and "whoosh" in result.output
    assert "`vnsearch index --rebuild --backend xapian`" in result.output
    result = runner.invoke(
        cli,
        [
            "index",
            str(SEEDS),
            "--index",
            str(tmp_path / "w"),
            "--backend",
            "whoosh",
            "--shards",
            "2",
        ],
    )
    assert result.exit_code == 2 and "--shards" in result.output


def test_indexing_again_changes_nothing_in_shards(indexes, runner):
    result = runner.invoke(cli, ["index", str(SEEDS), "--index", str(indexes["shards"]), "--json"])
    assert result.exit_code == 0, result.output
    assert '"unchanged": 5' in result.output and '"indexed": 0' in result.output


def _by_id(reader, p) -> dict:
    """A posting list keyed on article id: (weight, positions)."""
    out = {}
    for k, d in enumerate(p.ids.tolist()):
        if d in set(reader.live_ids().tolist()):
            pos = p.positions([k])[1].tolist() if p.has_positions else []
            out[reader.stored(d)["id"]] = (float(p.weights[k]), pos)
    return out


@pytest.mark.parametrize(
    "field,text",
    [
        ("text", "can"),
        ("text", "xa"),
        ("exact", "cán"),
        ("exact", "hòa"),
        ("title", "dan"),
        ("words", "can_bo"),
        ("topics", "Xây dựng Đảng"),
        ("province", "Điện Biên"),
        ("policy_refs", "70/2009/QD-TTG"),
    ],
)
def test_the_readers_of_both_backends_hold_the_same_postings(engines, field, text):
    """The seam's primitives (what the generic path and related articles read)."""
    w, x = engines["whoosh"].searcher(), engines["shards"].searcher()
    pw, px = w.postings(field, text), x.postings(field, text)
    assert len(px) and _by_id(w, pw) == _by_id(x, px)
    assert w.doc_frequency(field, text) == x.doc_frequency(field, text)
    assert w.frequency(field, text) == x.frequency(field, text)
    assert sorted(w.field_terms(field)) == sorted(x.field_terms(field))


def test_check_finds_a_damaged_shard_and_search_says_so_in_one_line(indexes, runner, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(indexes["shards"], copy)
    result = runner.invoke(cli, ["check", "--index", str(copy)])
    assert result.exit_code == 0 and result.output.startswith("chỉ mục tốt: đã kiểm tra ")
    assert f" {SHARDS} shard, " in result.output
    (copy / "vocab.sqlite").unlink()
    assert runner.invoke(cli, ["check", "--index", str(copy)]).exit_code == 1
    result = runner.invoke(cli, ["check", "--index", str(copy), "--repair"])
    assert result.exit_code == 0 and "đã sửa: đã dựng lại từ vựng từ " in result.output, (
        result.output
    )
    table = copy / "shards" / "1" / "postlist.glass"
    table.write_bytes(table.read_bytes()[: table.stat().st_size // 2])
    result = runner.invoke(cli, ["check", "--index", str(copy)])
    assert result.exit_code == 1 and "hỏng: shard: shard 1: " in result.output
    assert "`vnsearch index --rebuild`" in result.output
    assert result.output.splitlines()[-1].startswith("CHỈ MỤC HỎNG: ")
    result = runner.invoke(cli, ["search", "can bo", "--index", str(copy)])
    assert result.exit_code == 2 and "hỏng" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


REPLICATE_SERVER = shutil.which("xapian-replicate-server")
REPLICATE = shutil.which("xapian-replicate")


def _replicate(port: int, shards: int, replica: Path) -> None:
    assert REPLICATE is not None  # its test skips without it
    for k in range(shards):
        subprocess.run(
            [REPLICATE, "-h", "127.0.0.1", "-p", str(port), "-m", str(k), "-o", "-q"]
            + [str(replica / "shards" / str(k))],
            check=True,
            timeout=60,
            stdout=subprocess.DEVNULL,
        )


def _copy_vocabulary(master: Path, replica: Path) -> None:
    """The README's copy of the vocabulary: SQLite's backup, the WAL's pages included."""
    import sqlite3

    src = sqlite3.connect(master / "vocab.sqlite")
    dst = sqlite3.connect(replica / "vocab.sqlite")
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


@pytest.mark.skipif(
    REPLICATE is None or REPLICATE_SERVER is None, reason="xapian-tools is not installed"
)
def test_a_replica_made_by_xapian_replicate_answers_the_same(tmp_path, monkeypatch, runner):
    # Changesets let later runs send only what changed (else a full copy is sent).
    monkeypatch.setenv("XAPIAN_MAX_CHANGESETS", "10")
    master = _build(tmp_path / "master", "xapian", 2)
    replica = tmp_path / "replica"
    (replica / "shards").mkdir(parents=True)
    port = free_port()
    assert REPLICATE_SERVER is not None
    server = listening(
        [REPLICATE_SERVER, "-I", "127.0.0.1", "-p", str(port), str(master / "shards")], port
    )
    assert server is not None, "xapian-replicate-server did not start"
    try:
        _replicate(port, 2, replica)
        # The metadata and the vocabulary go along (one small file each; the vocabulary
        # through SQLite's backup, as the README says: its latest pages may be in the WAL).
        shutil.copy(master / "vnsearch.json", replica / "vnsearch.json")
        _copy_vocabulary(master, replica)
        # A replica's shard is Xapian's stub and its copy: checked, it is healthy.
        result = runner.invoke(cli, ["check", "--index", str(replica)])
        assert result.exit_code == 0 and "chỉ mục tốt" in result.output, result.output
        a, b = open_engine(master), open_engine(replica)
        try:
            for q in ("can bo cap xa", "UBND", "", "hòa giải"):
                ra, rb = a.search(q), b.search(q)
                assert [(h.id, h.score) for h in ra.hits] == [(h.id, h.score) for h in rb.hits]
                assert (ra.total, ra.facets) == (rb.total, rb.facets)
            add_articles(
                master, [Article(id="rep/1", title="Tin mới", body="Xã Nậm Pồ có trường mới.")]
            )
            assert "rep/1" not in b.match_ids("")
            _replicate(port, 2, replica)
            assert "rep/1" in b.match_ids("") and b.search("").total == a.search("").total
        finally:
            a.close_all()
            b.close_all()
    finally:
        server.terminate()
        server.wait(timeout=10)


@needs_tcpsrv
@pytest.mark.parametrize("processes", [1, 2])
def test_serve_reads_remote_shards(indexes, servers, tmp_path, processes):
    import json

    from server_helpers import Server

    _, urls = servers
    options = tuple(x for u in urls for x in ("--shard-url", u))
    with Server(indexes["shards"], tmp_path / "log", processes=processes, options=options) as s:
        answer = s.get("/api/search?q=can+bo+cap+xa")
        assert answer.status == 200, s.stderr()
        remote = json.loads(answer.text)
    local = open_engine(indexes["shards"])
    try:
        assert [h["id"] for h in remote["hits"]] == [
            h.id for h in local.search("can bo cap xa").hits
        ]
        assert remote["partial"] == []
    finally:
        local.close_all()


@pytest.mark.parametrize(
    "urls, says",
    [
        (["tcp://127.0.0.1:99999"] * 3, "cổng 1–65535"),
        (["foo", "tcp://127.0.0.1:7000", "tcp://127.0.0.1:7001"], "không phải 'foo'"),
        (["tcp://127.0.0.1:7000"] * 2 + ["tcp://127.0.0.1:7001"], "--shard-url lặp lại"),
        (["tcp://127.0.0.1:7000", "tcp://127.0.0.1:07000", "tcp://h:1"], "--shard-url lặp lại"),
        (
            ["tcp://127.0.0.1:7000/x", "tcp://h:2", "tcp://h:1"],
            "không phải 'tcp://127.0.0.1:7000/x'",
        ),
        (["tcp://127.0.0.1:7000"], f"có {SHARDS} shard nhưng có 1 --shard-url"),
    ],
    ids=["port-out-of-range", "no-url", "twice", "twice-written-otherwise", "a-path", "too-few"],
)
def test_wrong_shard_urls_are_refused_before_searching_or_serving(indexes, runner, urls, says):
    from web.cli import serve

    options = [x for u in urls for x in ("--shard-url", u)]
    index = ["--index", str(indexes["shards"])]
    result = runner.invoke(cli, ["search", "cán bộ", *index, *options])
    assert result.exit_code == 2 and says in result.output, result.output
    # The site stops before it starts: no server that fails every request.
    result = runner.invoke(serve, [*index, "--port", "0", *options])
    assert result.exit_code == 1 and says in result.output, result.output
    assert "Traceback" not in result.output


@needs_tcpsrv
def test_shard_urls_and_backend_come_from_the_settings_too(indexes, servers, runner, tmp_path):
    _, urls = servers
    args = ["search", "can bo cap xa", "--index", str(indexes["shards"]), "--json"]
    env = {"VNSEARCH_SHARD_URLS": ",".join(urls)}
    result = runner.invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    dead = f"tcp://127.0.0.1:{free_port()}"
    result = runner.invoke(cli, args, env={"VNSEARCH_SHARD_URLS": ",".join([*urls[:-1], dead])})
    assert result.exit_code == 2 and dead in result.output
    result = runner.invoke(cli, args, env={"VNSEARCH_SHARD_URLS": ",".join(urls[:-1])})
    assert result.exit_code == 2 and f"có {SHARDS} shard nhưng có {SHARDS - 1} --shard-url" in (
        result.output
    )
    result = runner.invoke(cli, args, env={"VNSEARCH_SHARD_URLS": "http://x"})
    assert result.exit_code == 2 and "tcp://máy:cổng" in result.output
    config = tmp_path / "vnsearch.toml"
    config.write_text('[indexing]\nbackend = "xapian"\n', "utf-8")
    result = runner.invoke(
        cli, ["--config", str(config), "index", str(SEEDS), "--index", str(tmp_path / "new")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new" / "shards" / "0").is_dir()


@pytest.mark.parametrize("shards", [None, 2])
def test_a_replaced_article_moves_in_the_facets(tmp_path, shards):
    # Replacing an article keeps its document number and the index's size: the
    # per-generation arrays (facet columns) must still be built anew.
    path = _build(tmp_path / "moved", "xapian", shards)
    add_articles(path, [_news("moved/1", "Xã Quyết Tiến về đích nông thôn mới")])
    engine = open_engine(path)
    try:

        def provinces() -> dict[str, int]:
            found = engine.search("Quyết Tiến", province=[])
            return {v.value: v.count for v in found.facets["province"]}

        assert provinces().get("Lai Châu") == 1
        key = engine.searcher().key
        moved = _news("moved/1", "Xã Quyết Tiến về đích")
        moved.province = "Điện Biên"
        add_articles(path, [moved])
        assert provinces().get("Lai Châu") is None and provinces().get("Điện Biên") == 1
        assert engine.searcher().key != key  # so the engine's per-generation arrays are anew
        assert [h.province for h in engine.search("Quyết Tiến").hits] == ["Điện Biên"]
    finally:
        engine.close_all()


@pytest.mark.parametrize(
    "q,kwargs", [("trạm bơm", {}), ("", {}), ("tram bom", {"topic": "Kinh tế"})]
)
def test_an_index_of_undated_articles_counts_as_whoosh_does(tmp_path, q, kwargs):
    # No article fills the date, month, year or district slots: Xapian counts
    # only the facets that have values, and the others are empty as on Whoosh.
    articles = [
        Article(
            id=f"undated/{i}",
            title=f"Trạm bơm số {i} hoàn thành",
            body=f"Trạm bơm số {i} phục vụ tưới tiêu cho ba thôn.",
            province=["Điện Biên", "Lai Châu"][i % 2],
            topics=["Kinh tế"] if i % 3 else [],
        )
        for i in range(7)
    ]
    found = {}
    for name, backend, shards in [
        ("whoosh", "whoosh", None),
        ("xapian", "xapian", None),
        ("shards", "xapian", 2),
    ]:
        add_articles(tmp_path / name, articles, backend, shards)
        engine = open_engine(tmp_path / name)
        try:
            found[name] = engine.search(q, **kwargs)
        finally:
            engine.close_all()
    for name in ("xapian", "shards"):
        _same(found[name], found["whoosh"])
    assert found["whoosh"].total and not found["whoosh"].timeline["bins"]
    assert found["whoosh"].facets["province"] and not found["whoosh"].facets["district"]
