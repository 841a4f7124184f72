"""`vnsearch compact` (a smaller index, the same articles and answers, on both backends) and
`vnsearch reshard` (a Xapian index copied into N shards: the same answers)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import SEEDS, SYNTHETIC
from facet_corpus import corpus as facet_corpus
from helpers import add_articles, big_corpus
from server_helpers import TCPSRV, served_shards

from search.article import Article
from search.backends import open_store
from search.check import check_index
from search.cli import cli
from search.engine import open_engine
from search.index import write_lock
from search.ingest import index_paths

QUERIES: list[tuple[str, dict]] = [
    ("can bo cap xa", {}),
    ("cán bộ", {"sort": "date"}),
    ("hòa giải", {}),
    ("UBND", {}),
    ("70/2009/QĐ-TTg", {}),
    ("", {}),
    ("can bo", {"province": ["Điện Biên", "Bắc Kạn"]}),
    ("", {"year": "2023"}),
]
LAYOUTS = {
    "whoosh": ("whoosh", None),
    "xapian": ("xapian", None),
    "xapian-shards": ("xapian", 2),
}


def _build(path: Path, layout: str) -> Path:
    """Seeds, then articles in several commits: slack to remove."""
    backend, shards = LAYOUTS[layout]
    if backend == "xapian":
        pytest.importorskip("xapian", reason="the xapian extra is not installed")
    report = index_paths([SEEDS], path, workers=1, backend=backend, shards=shards)
    assert report.indexed == 5, report
    articles = SYNTHETIC + facet_corpus()
    step = max(1, len(articles) // 4)
    for k in range(0, len(articles), step):
        add_articles(path, articles[k : k + step])
    return path


def _answers(engine, renumbered: bool = False) -> list:
    """Totals, hits, facets and timelines of QUERIES. ``renumbered``: every hit (no page
    cut), equal scores in any order (ties fall by document number)."""
    out = []
    for q, kw in QUERIES:
        r = engine.search(q, **({**kw, "per_page": 100, "page": 1} if renumbered else kw))
        facets = {k: [(v.value, v.count) for v in vs] for k, vs in r.facets.items()}
        hits: list = [h.id for h in r.hits]
        if renumbered:
            hits = sorted((-round(h.score or 0.0, 9), h.id) for h in r.hits)
        out.append((r.total, hits, facets, r.timeline))
    return out


def _compact(runner, path: Path, *args: str) -> dict:
    result = runner.invoke(cli, ["compact", "--index", str(path), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_compaction_keeps_every_answer_and_a_reader_goes_on(runner, tmp_path, layout):
    path = _build(tmp_path / layout, layout)
    engine = open_engine(path)
    try:
        before = _answers(engine)
        key = engine.searcher().key
        done = _compact(runner, path)
        # The reader opened before goes on, then reads the compacted files.
        assert _answers(engine) == before
        if layout != "whoosh":
            assert engine.searcher().key != key
        assert _answers(open_engine(path)) == before
    finally:
        engine.close_all()
    assert done["backend"] == LAYOUTS[layout][0]
    assert done["bytes_after"] < done["bytes_before"]
    report = check_index(path)
    assert report.healthy, report.findings  # the vocabulary still matches the index
    if layout == "whoosh":
        assert report.segments == 1 and done["parts"] > 1
    else:
        assert report.segments == done["parts"] == (LAYOUTS[layout][1] or 1)
        assert sorted(p.name for p in (path / "shards").iterdir()) == [
            str(k) for k in range(done["parts"])
        ]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_compacted_index_takes_new_articles(runner, tmp_path, layout):
    path = _build(tmp_path / layout, layout)
    _compact(runner, path)
    add_articles(path, [Article(id="after/1", title="Xã Nậm Nhừ hoàn thành", body="Xã Nậm Nhừ.")])
    engine = open_engine(path)
    try:
        assert engine.match_ids("Nậm Nhừ") == ["after/1"]
    finally:
        engine.close_all()
    assert check_index(path).healthy
    result = runner.invoke(cli, ["compact", "--index", str(path)])
    assert result.exit_code == 0 and "đã nén chỉ mục" in result.output, result.output


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_vocabulary_behind_the_index_stays_behind(runner, tmp_path, layout):
    # Compaction records the new revision in a vocabulary that matched, never
    # in one that did not: `vnsearch check` must still see it.
    path = _build(tmp_path / layout, layout)
    store = open_store(path)
    extra = Article(id="behind/1", title="Tin không vào từ vựng", body="Không vào từ vựng.")
    extra.content_hash = "x"
    for _ in store.write([(extra, "")], batch_size=10):
        pass
    store.close()
    assert [f.code for f in check_index(path).findings] == ["vocabulary"]
    _compact(runner, path)
    assert [f.code for f in check_index(path).findings] == ["vocabulary"]


def _leave(shards: Path, leftover: str) -> str:
    """What a compaction killed at one of its steps leaves in ``shards``; the folder's name."""
    if leftover == "copy-not-swapped":
        (shards / ".0.compacted").mkdir()
        (shards / ".0.compacted" / "postlist.glass").write_bytes(b"half")
        return ".0.compacted"
    if leftover == "old-copy-not-removed":
        shutil.copytree(shards / "1", shards / ".1.replaced")
    else:  # stopped between the two renames
        (shards / "1").rename(shards / ".1.replaced")
    return ".1.replaced"


@pytest.mark.parametrize(
    "leftover", ["copy-not-swapped", "old-copy-not-removed", "stopped-between-renames"]
)
@pytest.mark.parametrize("by", ["compact", "check --repair"])
def test_an_interrupted_compaction_is_put_right(runner, tmp_path, leftover, by):
    path = _build(tmp_path / "x", "xapian-shards")
    engine = open_engine(path)
    before = _answers(engine)
    engine.close_all()
    shards = path / "shards"
    name = "shards/" + _leave(shards, leftover)
    if by == "compact":
        _compact(runner, path)
    else:
        # `check` names what was left, and its repair puts it right as a compaction would.
        (left,) = [f for f in check_index(path).findings if f.code == "leftovers"]
        assert name in left.problem and not left.damage and "vnsearch compact" in left.fix
        repaired = check_index(path, repair=True)
        assert not repaired.findings and f"đã xóa {name}" in repaired.repaired
    assert sorted(p.name for p in shards.iterdir()) == ["0", "1"]
    engine = open_engine(path)
    try:
        assert _answers(engine) == before
    finally:
        engine.close_all()
    assert check_index(path).healthy


def test_compaction_waits_for_a_running_index_and_says_so(runner, tmp_path):
    path = _build(tmp_path / "w", "whoosh")
    with write_lock(path):
        result = runner.invoke(cli, ["compact", "--index", str(path), "--wait", "0"])
    assert result.exit_code != 0
    assert "đang ghi" in result.output and "Traceback" not in result.output


def test_compacting_no_index_says_so(runner, tmp_path):
    result = runner.invoke(cli, ["compact", "--index", str(tmp_path / "none")])
    assert result.exit_code == 2 and "chưa có chỉ mục" in result.output


@pytest.mark.skipif(TCPSRV is None, reason="xapian-tools is not installed")
def test_shards_served_by_xapian_tcpsrv_are_compacted_under_it(runner, tmp_path):
    # The servers keep running: each connection reads the compacted shard next.
    path = _build(tmp_path / "served", "xapian-shards")
    with served_shards(path) as urls:
        engine = open_engine(path, shard_urls=urls)
        before = _answers(engine)
        _compact(runner, path)
        assert _answers(engine) == before
        add_articles(path, [Article(id="served/1", title="Xã Nậm Nhừ", body="Xã Nậm Nhừ.")])
        assert engine.match_ids("Nậm Nhừ") == ["served/1"]
        engine.close_all()


@pytest.mark.skipif(TCPSRV is None, reason="xapian-tools is not installed")
def test_a_served_shard_compacted_then_written_to_is_never_taken_for_unchanged(runner, tmp_path):
    # A compacted shard would start its revisions again from 1: after as many commits as
    # it had, a server's connection that last looked before the compaction would find
    # the same revision on disk and go on answering from the files it replaced.
    import xapian

    path = tmp_path / "served"
    index_paths([SEEDS], path, workers=1, backend="xapian", shards=1, batch_size=1)
    shard = path / "shards" / "0"
    revision = int(xapian.Database(str(shard)).get_revision())
    assert revision >= 3
    with served_shards(path) as urls:
        engine = open_engine(path, shard_urls=urls)
        try:
            assert engine.search("").total == 5
            _compact(runner, path)
            added = 0
            while not added or int(xapian.Database(str(shard)).get_revision()) < revision:
                add_articles(path, [Article(id=f"late/{added}", title="Tin", body="zqlate.")])
                added += 1
            assert sorted(engine.match_ids("zqlate")) == sorted(f"late/{i}" for i in range(added))
        finally:
            engine.close_all()


def _placed(path: Path) -> dict[int, set[str]]:
    """The article ids each shard of a Xapian index holds."""
    import xapian

    from search.backends.xapian import _stored

    out: dict[int, set[str]] = {}
    for shard in sorted((path / "shards").iterdir()):
        db = xapian.Database(str(shard))
        out[int(shard.name)] = {
            _stored(db.get_document(p.docid).get_data())["id"] for p in db.postlist("")
        }
        db.close()
    return out


@pytest.mark.parametrize(("layout", "shards"), [("xapian", 3), ("xapian-shards", 1)])
def test_a_resharded_copy_answers_as_its_source(runner, tmp_path, layout, shards):
    from search.backends.xapian import shard_of

    source = _build(tmp_path / layout, layout)
    placed = _placed(source)
    engine = open_engine(source)
    try:
        before = _answers(engine, renumbered=True)
    finally:
        engine.close_all()
    target = tmp_path / "copy"
    result = runner.invoke(
        cli,
        ["reshard", "--index", str(source), "--shards", str(shards), "--to", str(target)],
    )
    assert result.exit_code == 0, result.output
    n = sum(len(ids) for ids in placed.values())
    assert result.output.startswith(f"đã chia {n} bài của {source} thành {shards} shard ở ")
    copy = open_engine(target)
    try:
        assert _answers(copy, renumbered=True) == before
    finally:
        copy.close_all()
    moved = _placed(target)
    assert {k: {shard_of(i, shards) for i in ids} for k, ids in moved.items()} == {
        k: {k} for k in range(shards)
    }
    assert set().union(*moved.values()) == set().union(*placed.values())
    assert _placed(source) == placed and check_index(source).healthy  # only read
    assert check_index(target).healthy  # the vocabulary came along, and matches
    # The copy takes new articles where shard_of places them.
    add_articles(target, [Article(id="copy/1", title="Xã Nậm Nhừ", body="Xã Nậm Nhừ.")])
    assert "copy/1" in _placed(target)[shard_of("copy/1", shards)]
    assert check_index(target).healthy


def test_resharding_needs_a_new_folder_and_a_xapian_index(runner, tmp_path):
    source = _build(tmp_path / "x", "xapian")
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("giữ nguyên", "utf-8")
    args = ["reshard", "--shards", "2", "--to", str(taken)]
    result = runner.invoke(cli, [*args, "--index", str(source)])
    assert result.exit_code == 2 and "đã có dữ liệu" in result.output
    assert [p.name for p in taken.iterdir()] == ["notes.txt"]
    whoosh = _build(tmp_path / "w", "whoosh")
    result = runner.invoke(
        cli,
        ["reshard", "--shards", "2", "--to", str(tmp_path / "n")]
        + [
            "--index",
            str(whoosh),
        ],
    )
    assert result.exit_code == 2 and "chỉ chia lại được chỉ mục Xapian" in result.output
    result = runner.invoke(
        cli, ["reshard", "--shards", "2", "--to", str(tmp_path / "n2"), "--index", str(tmp_path)]
    )
    assert result.exit_code == 2 and "chưa có chỉ mục" in result.output
    assert not (tmp_path / "n").exists() and not (tmp_path / "n2").exists()


def _index_json(runner, path: Path, *args: str) -> dict:
    result = runner.invoke(cli, ["index", *args, "--index", str(path), "--workers", "1", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("layout", ["xapian", "xapian-shards"])
def test_a_bulk_run_compacts_a_xapian_index_and_a_small_one_does_not(runner, tmp_path, layout):
    # Xapian's B-trees as written are about half empty: a run that writes most
    # of the index compacts it, with the same answers as the index as written.
    backend, shards = LAYOUTS[layout]
    pytest.importorskip("xapian", reason="the xapian extra is not installed")
    corpus = big_corpus(tmp_path / "corpus", 240)
    extra = ["--backend", backend] + (["--shards", str(shards)] if shards else [])
    as_written = tmp_path / "as-written"
    index_paths([corpus], as_written, workers=1, backend=backend, shards=shards, compact=False)
    path = tmp_path / layout
    done = _index_json(runner, path, str(corpus), *extra)
    assert done["indexed"] == 240
    compacted = done["compacted"]
    assert compacted and compacted["parts"] == (shards or 1), done
    assert compacted["bytes_after"] < compacted["bytes_before"]
    report = check_index(path)
    assert report.healthy, report.findings  # the vocabulary matches the compacted index
    for q in ["cán bộ", "hộ nghèo", "zq00042", "thuy loi"]:
        a, b = open_engine(path), open_engine(as_written)
        try:
            assert [(h.id, h.score) for h in a.search(q, per_page=100).hits] == [
                (h.id, h.score) for h in b.search(q, per_page=100).hits
            ]
            assert a.search(q).total
        finally:
            a.close_all()
            b.close_all()
    # Twenty articles more are no bulk load: nothing is compacted.
    more = big_corpus(tmp_path / "more", 260)
    for f in sorted(more.iterdir())[:240]:
        f.unlink()
    small = _index_json(runner, path, str(more))
    assert small["indexed"] == 20 and small["compacted"] is None
    # A rebuild writes the whole index: compacted before it is swapped in.
    rebuilt = _index_json(runner, path, "--rebuild")
    assert rebuilt["compacted"] and rebuilt["compacted"]["path"] != str(path)
    assert check_index(path).healthy
    engine = open_engine(path)
    try:
        assert engine.count() == 260
        assert len(engine.match_ids("zq00250")) == 1
    finally:
        engine.close_all()


def test_a_whoosh_run_is_not_compacted(runner, tmp_path):
    corpus = big_corpus(tmp_path / "corpus", 240)
    done = _index_json(runner, tmp_path / "ix", str(corpus), "--backend", "whoosh")
    assert done["indexed"] == 240 and done["compacted"] is None


def test_the_cli_says_it_compacted(runner, tmp_path):
    pytest.importorskip("xapian", reason="the xapian extra is not installed")
    corpus = big_corpus(tmp_path / "corpus", 240)
    args = ["index", str(corpus), "--index", str(tmp_path / "ix"), "--backend", "xapian"]
    result = runner.invoke(cli, [*args, "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "đã nén chỉ mục sau lần nạp lớn: " in result.output, result.output
