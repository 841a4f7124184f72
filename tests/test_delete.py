"""`vnsearch delete`: articles leave the index, its counts and its vocabulary, on both backends."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import SEEDS
from server_helpers import TCPSRV, served_shards

from search.check import check_index
from search.cli import cli
from search.engine import open_engine
from search.index import write_lock
from search.ingest import index_paths
from search.vocab import vocab_path

LAYOUTS = {
    "whoosh": ("whoosh", None),
    "xapian": ("xapian", None),
    "xapian-shards": ("xapian", 2),
}
GONE = "001_ae031a0ab61b1afb"  # a seed article


def _build(path: Path, layout: str, seeds: Path = SEEDS) -> Path:
    backend, shards = LAYOUTS[layout]
    if backend == "xapian":
        pytest.importorskip("xapian", reason="the xapian extra is not installed")
    report = index_paths([seeds], path, workers=1, backend=backend, shards=shards)
    assert report.indexed == len(list(seeds.iterdir())), report
    return path


def _vocabulary(path: Path) -> tuple:
    """The vocabulary's counts: syllables and pairs of syllables by text, and documents."""
    db = sqlite3.connect(vocab_path(path))
    try:
        syl = {t: n for t, n in db.execute("SELECT text, n FROM syl") if n}
        pairs = {
            (a, b, n)
            for a, b, n in db.execute(
                "SELECT sa.text, sb.text, bi.n FROM bi JOIN syl sa ON sa.id = bi.a "
                "JOIN syl sb ON sb.id = bi.b WHERE bi.n > 0"
            )
        }
        meta = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('documents', 'tokens')"))
    finally:
        db.close()
    return syl, pairs, meta


def _delete(runner, path: Path, *ids: str, code: int = 0):
    result = runner.invoke(cli, ["delete", *ids, "--index", str(path)])
    assert result.exit_code == code, result.output
    return result.output


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_deleted_article_is_gone_from_results_counts_and_vocabulary(runner, tmp_path, layout):
    path = _build(tmp_path / layout, layout)
    engine = open_engine(path)
    try:
        before = engine.search("cán bộ")
        assert GONE in [h.id for h in before.hits]
        out = _delete(runner, path, GONE)
        assert out.strip() == f"đã xóa 1 bài: {GONE}"
        after = engine.search("cán bộ")  # the open reader sees it at its next search
        assert GONE not in [h.id for h in after.hits] and after.total == before.total - 1
        province = next(h.province for h in before.hits if h.id == GONE)
        counts = [{v.value: v.count for v in r.facets["province"]} for r in (before, after)]
        expected = {**counts[0], province: counts[0][province] - 1}
        assert counts[1] == {p: n for p, n in expected.items() if n}
        assert engine.search("").total == 4
    finally:
        engine.close_all()
    result = runner.invoke(cli, ["show", GONE, "--index", str(path)])
    assert result.exit_code != 0 and "không có bài viết nào" in result.output
    assert check_index(path).healthy
    # The vocabulary is the one the other four articles give.
    others = tmp_path / "others"
    others.mkdir()
    for f in SEEDS.iterdir():
        if not f.name.startswith(GONE):
            shutil.copy(f, others / f.name)
    assert _vocabulary(path) == _vocabulary(_build(tmp_path / "four", layout, others))


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_indexing_the_source_again_brings_it_back(runner, tmp_path, layout):
    path = _build(tmp_path / layout, layout)
    _delete(runner, path, GONE)
    report = index_paths([SEEDS], path, workers=1)
    assert (report.indexed, report.unchanged) == (1, 4)
    engine = open_engine(path)
    try:
        assert GONE in engine.match_ids("cán bộ")
    finally:
        engine.close_all()
    assert check_index(path).healthy


def test_unknown_ids_are_said_and_nothing_else_changes(runner, tmp_path):
    path = _build(tmp_path / "w", "whoosh")
    result = runner.invoke(cli, ["delete", "khong-co", "--index", str(path), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"deleted": [], "missing": ["khong-co"], "merged": {}}
    out = _delete(runner, path, "khong-co", GONE, code=1)
    assert "không có bài viết nào với mã 'khong-co'" in out and f"đã xóa 1 bài: {GONE}" in out
    engine = open_engine(path)
    try:
        assert engine.search("").total == 4
    finally:
        engine.close_all()


@pytest.mark.parametrize("layout", ["whoosh", "xapian"])
def test_a_merged_copy_is_not_deleted_alone(runner, tmp_path, layout):
    # The same story published twice is one article; its copy's id names it.
    copies = tmp_path / "copies"
    copies.mkdir()
    text = (SEEDS / f"{GONE}.txt").read_text("utf-8")
    (copies / "a.txt").write_text(text, "utf-8")
    (copies / "b.txt").write_text(text, "utf-8")
    backend, _ = LAYOUTS[layout]
    if backend == "xapian":
        pytest.importorskip("xapian", reason="the xapian extra is not installed")
    report = index_paths([copies], tmp_path / layout, workers=1, backend=backend)
    assert (report.indexed, report.merged) == (1, 1), report
    engine = open_engine(tmp_path / layout)
    try:
        (owner,) = engine.match_ids("")
    finally:
        engine.close_all()
    alias = next(i for i in ("a", "b") if i != owner)
    out = _delete(runner, tmp_path / layout, alias, code=1)
    assert f"đã gộp vào bài '{owner}'" in out
    _delete(runner, tmp_path / layout, owner)
    assert check_index(tmp_path / layout).healthy


def test_delete_waits_for_a_running_index_and_says_so(runner, tmp_path):
    path = _build(tmp_path / "w", "whoosh")
    with write_lock(path):
        result = runner.invoke(cli, ["delete", GONE, "--index", str(path), "--wait", "0"])
    assert result.exit_code != 0
    assert "đang ghi" in result.output and "Traceback" not in result.output


def test_deleting_from_no_index_says_so(runner, tmp_path):
    result = runner.invoke(cli, ["delete", GONE, "--index", str(tmp_path / "none")])
    assert result.exit_code == 2 and "chưa có chỉ mục" in result.output
    assert not (tmp_path / "none").exists()


@pytest.mark.skipif(TCPSRV is None, reason="xapian-tools is not installed")
def test_readers_of_served_shards_see_the_deletion(runner, tmp_path):
    path = _build(tmp_path / "served", "xapian-shards")
    with served_shards(path) as urls:
        engine = open_engine(path, shard_urls=urls)
        assert GONE in engine.match_ids("cán bộ")
        _delete(runner, path, GONE)
        assert GONE not in engine.match_ids("cán bộ")
        assert engine.search("").total == 4
        engine.close_all()
