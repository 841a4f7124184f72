"""What a Xapian index written by this version has beyond the schema's values (the
single-valued facets joined in one slot), that readers use it only where every document has
it, and that it changes no count."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import SYNTHETIC
from facet_corpus import corpus as facet_corpus
from helpers import add_articles
from hypothesis import given
from hypothesis import strategies as st
from server_helpers import TCPSRV, served_shards

from search.article import Article
from search.cli import cli
from search.engine import open_engine

xapian = pytest.importorskip("xapian", reason="the xapian extra is not installed")

from search.backends.xapian import (  # noqa: E402 (needs the extra)
    COMMITS,
    FEATURES,
    SHARDS_DIR,
    SLOT_SINGLES,
    join_singles,
    split_singles,
)

# Odd facet values (the joined slot's separator, its escapes), facets left empty.
ODD = [
    Article(
        id="odd/1",
        title="Cán bộ cấp xã",
        body="Cán bộ, công chức cấp xã học nghiệp vụ. Xã có cán bộ trẻ.",
        province="Lai Châu",
        outlet="Báo A\x1eB",
        district="Quận \\s",
        date=dt.date(2024, 5, 1),
    ),
    Article(
        id="odd/2",
        title="Công chức làm cán",
        body="Bộ đội giúp dân. Can bo ghi khong dau. Cấp xã, cán bộ.",
        province="Lai Châu",
        outlet="Báo A",
        district="Quận \\\\s\x1e",
        date=dt.date(2024, 6, 1),
    ),
    Article(
        id="odd/3",
        title="Nông thôn mới",
        body="Cán công chức bộ xã cấp. Nông dân thôn mới.",
        province="Điện Biên",
        outlet="Báo \\",
        date=dt.date(2023, 6, 1),
    ),
]
ARTICLES = SYNTHETIC + facet_corpus() + ODD
QUERIES = [
    ("can bo", {}),
    ("cán bộ cấp xã", {}),
    ("nông thôn mới", {}),
    ("", {}),
    ("xa", {"province": "Lai Châu"}),
    ("", {"outlet": ["Báo A", "Báo \\"]}),
    ("can bo", {"district": "Quận \\s", "topic": "Xây dựng Đảng"}),
    ("", {"province_2025": "Thái Nguyên"}),
]


def _build(path: Path, backend: str, shards: int | None = None) -> Path:
    add_articles(path, ARTICLES, backend=backend, shards=shards)
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("features")
    return {
        "whoosh": _build(root / "whoosh", "whoosh"),
        "xapian": _build(root / "xapian", "xapian"),
        "shards": _build(root / "shards", "xapian", 2),
    }


def _answers(engine, q: str, filters: dict | None = None) -> tuple:
    r = engine.search(q, per_page=100, **(filters or {}))
    facets = {k: sorted((v.value, v.count) for v in vs) for k, vs in r.facets.items()}
    return r.total, sorted(h.id for h in r.hits), facets, r.timeline


def _features(path: Path) -> frozenset:
    engine = open_engine(path)
    try:
        return engine.searcher().features
    finally:
        engine.close_all()


def _older_commit(path: Path, article: Article | None = None) -> None:
    """What a commit of an older vnsearch does to each shard: counts the commit and stamps
    no features; ``article`` (if any) is written as this version writes it, then left
    without the joined slot, as an older version writes it."""
    from search.backends.xapian import term

    if article is not None:
        add_articles(path, [article])
    for shard in sorted((path / SHARDS_DIR).iterdir()):
        db = xapian.WritableDatabase(str(shard), xapian.DB_OPEN)
        try:
            idterm = term("id", article.id) if article is not None else ""
            for p in list(db.postlist(idterm)) if idterm and db.get_termfreq(idterm) else []:
                xdoc = db.get_document(p.docid)
                xdoc.remove_value(SLOT_SINGLES)
                db.replace_document(p.docid, xdoc)
            db.set_metadata(COMMITS, str(int(db.get_metadata(COMMITS) or 0) + 1))
            db.commit()
        finally:
            db.close()


@pytest.mark.parametrize("layout", ["xapian", "shards"])
@pytest.mark.parametrize("q,filters", QUERIES)
def test_the_joined_slot_changes_no_count(built, layout, q, filters):
    assert _features(built[layout]) == FEATURES
    whoosh, other = open_engine(built["whoosh"]), open_engine(built[layout])
    try:
        assert _answers(other, q, filters) == _answers(whoosh, q, filters)
        # The odd facet values are counted as stored.
        assert ("Báo A\x1eB", 1) in _answers(other, "")[2]["outlet"]
    finally:
        whoosh.close_all()
        other.close_all()


@pytest.mark.skipif(TCPSRV is None, reason="xapian-tools is not installed")
def test_remote_shards_tell_their_features(built):
    whoosh = open_engine(built["whoosh"])
    with served_shards(built["shards"]) as urls:
        remote = open_engine(built["shards"], shard_urls=urls)
        try:
            assert remote.searcher().features == FEATURES
            for q, filters in QUERIES:
                assert _answers(remote, q, filters) == _answers(whoosh, q, filters)
        finally:
            remote.close_all()
            whoosh.close_all()


@pytest.mark.parametrize("layout", ["xapian", "shards"])
def test_a_commit_by_an_older_version_turns_the_features_off(built, layout, tmp_path):
    import shutil

    path = Path(shutil.copytree(built[layout], tmp_path / "copy"))
    late = Article(
        id="odd/late",
        title="Cán bộ mới",
        body="Cán bộ cấp xã nhận việc.",
        province="Sơn La",
        outlet="Báo B",
    )
    _older_commit(path, late)
    assert _features(path) == frozenset()
    whoosh = tmp_path / "whoosh"
    _build(whoosh, "whoosh")
    add_articles(whoosh, [late])
    a, b = open_engine(whoosh), open_engine(path)
    try:
        for q, filters in QUERIES:
            assert _answers(b, q, filters) == _answers(a, q, filters)
        assert ("Báo B", 1) in _answers(b, "cán bộ")[2]["outlet"]
    finally:
        a.close_all()
        b.close_all()
    # This version's commits do not turn them on again: rebuilding does.
    add_articles(path, [Article(id="odd/later", title="Cán bộ", body="Cán bộ xã.")])
    assert _features(path) == frozenset()


def test_compacting_and_resharding_keep_the_features(built, runner, tmp_path):
    import shutil

    path = Path(shutil.copytree(built["xapian"], tmp_path / "copy"))
    result = runner.invoke(cli, ["compact", "--index", str(path)])
    assert result.exit_code == 0, result.output
    assert _features(path) == FEATURES
    target = tmp_path / "resharded"
    args = ["reshard", "--index", str(path), "--shards", "3", "--to", str(target)]
    assert runner.invoke(cli, args).exit_code == 0
    assert _features(target) == FEATURES
    # A source without them gives copies without them.
    _older_commit(path)
    target = tmp_path / "resharded-old"
    args = ["reshard", "--index", str(path), "--shards", "2", "--to", str(target)]
    assert runner.invoke(cli, args).exit_code == 0
    assert _features(target) == frozenset()


def test_an_empty_shard_has_every_feature(tmp_path):
    # Three shards for one article: two stay empty, and nothing is missing in them.
    path = tmp_path / "x"
    add_articles(path, ARTICLES[:1], backend="xapian", shards=3)
    assert _features(path) == FEATURES


@given(st.lists(st.text(alphabet="ab\\s\x1e", max_size=6), min_size=4, max_size=4))
def test_joined_facet_values_split_back_exactly(values):
    assert split_singles(join_singles(values)) == values


def test_the_single_facets_are_counted_from_the_joined_slot(built, tmp_path):
    # Shown by a joined value that says otherwise than the document's own slots:
    # every facet but the topics follows it, and a filtered facet its own slot.
    import shutil

    from search.backends.xapian import term

    path = Path(shutil.copytree(built["xapian"], tmp_path / "copy"))
    db = xapian.WritableDatabase(str(path / SHARDS_DIR / "0"), xapian.DB_OPEN)
    try:
        (p,) = list(db.postlist(term("id", "odd/3")))
        xdoc = db.get_document(p.docid)
        xdoc.add_value(SLOT_SINGLES, join_singles(["Hà Giang", "", "Báo X", ""]))
        db.replace_document(p.docid, xdoc)
        db.commit()
    finally:
        db.close()
    assert _features(path) == FEATURES
    engine = open_engine(path)
    try:
        facets = _answers(engine, "")[2]
        assert ("Báo X", 1) in facets["outlet"] and ("Hà Giang", 1) in facets["province"]
        assert "Báo \\" not in dict(facets["outlet"])
        # Counted alone (its own filter set), a facet reads its own slot.
        own = _answers(engine, "", {"outlet": "Báo \\"})[2]["outlet"]
        assert ("Báo \\", 1) in own and "Báo X" not in dict(own)
    finally:
        engine.close_all()
