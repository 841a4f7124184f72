"""`vnsearch index --rebuild` on either backend, and into another backend or number of shards:
every stored article is kept (ids, URLs, aliases), what is damaged loses only itself, and
readers already open follow the index to its new home."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from helpers import add_articles, every_stored, unstamped
from server_helpers import TCPSRV, served_shards

from search.article import Article
from search.backends import backend_of, swap
from search.backends.base import SCHEMA_VERSION
from search.cli import cli
from search.engine import Engine
from search.errors import IndexOutdated, ShardUnavailable
from search.index import META_FILE, rebuild_folder
from search.ingest import index_paths

xapian = pytest.importorskip("xapian", reason="the xapian extra is not installed")

QUERIES = ["cán bộ", "can bo cap xa", "UBND", '"đào tạo"', "Mường Chà"]


def _build(corpus: Path, ix: Path, backend: str, shards: int | None) -> Path:
    report = index_paths([corpus], ix, workers=1, backend=backend, shards=shards)
    assert (report.indexed, report.merged) == (6, 1)
    (ix / "notes.txt").write_text("mine, not the index's", "utf-8")
    return ix


def _answers(ix: Path) -> dict:
    engine = Engine(ix)
    try:
        return {q: [h.id for h in engine.search(q, per_page=100).hits] for q in QUERIES}
    finally:
        engine.close_all()


def _shards(ix: Path) -> int | None:
    return json.loads((ix / META_FILE).read_text("utf-8")).get("shards")


def _engine_files(ix: Path) -> set[str]:
    """What of each backend's own files the index folder holds."""
    names = {p.name for p in ix.iterdir()}
    return {
        kind
        for kind, found in (
            ("whoosh", any(n.endswith((".toc", ".seg")) for n in names)),
            ("xapian", "shards" in names),
            ("backup", any(n.startswith("damaged-") for n in names)),
        )
        if found
    }


@pytest.mark.parametrize(
    "before,shards_before,asked,shards_asked,after,shards_after",
    [
        ("whoosh", None, None, None, "whoosh", None),
        ("whoosh", None, "xapian", None, "xapian", 1),
        ("whoosh", None, "xapian", 3, "xapian", 3),
        ("xapian", 2, None, None, "xapian", 2),
        ("xapian", 1, None, 3, "xapian", 3),
        ("xapian", 3, "xapian", 1, "xapian", 1),
        ("xapian", 2, "whoosh", None, "whoosh", None),
    ],
)
def test_a_rebuild_keeps_every_stored_article_in_the_backend_asked_for(
    republished_corpus, tmp_path, before, shards_before, asked, shards_asked, after, shards_after
):
    ix = _build(republished_corpus, tmp_path / "index", before, shards_before)
    stored, answers = every_stored(ix), _answers(ix)
    report = index_paths([], ix, workers=1, rebuild=True, backend=asked, shards=shards_asked)
    note = report.note or ""
    assert note.startswith(f"đã xây dựng lại {ix}: giữ lại 6 bài đã lưu")
    assert (f"chuyển từ {before} sang {after}" in note) == (before != after)
    assert backend_of(ix) == after and _shards(ix) == shards_after
    assert _engine_files(ix) == {after}  # the old backend's files are gone, nothing kept aside
    assert (ix / "notes.txt").read_text("utf-8") == "mine, not the index's"
    assert not list(tmp_path.glob(".index.rebuild-*"))
    assert every_stored(ix) == stored  # ids, URLs, aliases and every field
    assert _answers(ix) == answers
    # Content hashes and aliases kept: nothing to index again.
    again = index_paths([republished_corpus], ix, workers=1)
    assert (again.indexed, again.merged, again.unchanged) == (0, 0, 7)


@pytest.mark.parametrize("before,after", [("whoosh", "whoosh"), ("xapian", "whoosh")])
def test_a_rebuild_keeps_when_each_article_was_indexed(tmp_path, before, after):
    ix = tmp_path / "index"
    stamp = "2020-01-02T03:04:05Z"
    add_articles(
        ix,
        [
            Article(id="old", title="Trạm bơm", body="Trạm bơm của xã.", indexed=stamp),
            Article(id="new", title="Kênh mương", body="Kênh mương của thôn."),
        ],
        backend=before,
    )
    engine = Engine(ix)
    try:
        fresh = engine.article("new").indexed
    finally:
        engine.close_all()
    assert fresh is not None and fresh > stamp  # stamped when written
    index_paths([], ix, workers=1, rebuild=True, backend=after)
    engine = Engine(ix)
    try:
        assert [engine.article(i).indexed for i in ("old", "new")] == [stamp, fresh]
    finally:
        engine.close_all()


@pytest.mark.parametrize(
    "before,after", [("whoosh", "xapian"), ("xapian", "whoosh"), ("xapian", "xapian")]
)
def test_a_reader_open_during_a_rebuild_follows_the_index(
    republished_corpus, tmp_path, before, after
):
    ix = _build(republished_corpus, tmp_path / "index", before, 2 if before == "xapian" else None)
    new = tmp_path / "new.txt"
    new.write_text("Tin mới về xã Quyết Tiến\n\nNội dung mới zqnew.", "utf-8")
    engine = Engine(ix)
    try:
        assert engine.search("").total == 6 and engine.backend == before
        index_paths([new], ix, workers=1, rebuild=True, backend=after, shards=None)
        assert [h.id for h in engine.search("zqnew").hits] == ["new"]
        assert engine.search("").total == 7 and engine.backend == after
        assert engine.article("portal").id == "paper"
    finally:
        engine.close_all()


def _truncate(name: str):
    def damage(ix: Path) -> None:
        table = ix / "shards" / "1" / name
        table.write_bytes(table.read_bytes()[: table.stat().st_size // 2])

    return damage


def _set_meta(text: str):
    def damage(ix: Path) -> None:
        (ix / META_FILE).write_text(text, "utf-8")

    return damage


def _spoil_one_article(ix: Path, data=lambda data: data[:-40]) -> None:
    import xapian

    db = xapian.WritableDatabase(str(ix / "shards" / "1"), xapian.DB_OPEN)
    doc = db.get_document(2)
    doc.set_data(data(doc.get_data()))  # the compressed copy cut short
    db.replace_document(2, doc)
    db.commit()
    db.close()


def _blank_one_article(ix: Path) -> None:
    # Counted by the shard, its stored data reads back empty (as damaged blocks of
    # docdata.glass do): lost, never taken for a deleted article.
    _spoil_one_article(ix, lambda data: b"")


# Damage to a two-shard index -> what is lost: nothing, one article, or shard 1. Xapian
# reads the root block of every table when it opens a database: a table cut short loses
# the shard, while the articles are read back one by one from their stored data.
DAMAGE = {
    "postlist": (_truncate("postlist.glass"), "shard"),
    "termlist": (_truncate("termlist.glass"), "shard"),
    "docdata": (_truncate("docdata.glass"), "shard"),
    "version-file": (_truncate("iamglass"), "shard"),
    "shard-gone": (lambda ix: shutil.rmtree(ix / "shards" / "1"), "shard"),
    "one-article": (_spoil_one_article, "article"),
    "blank-article": (_blank_one_article, "blank"),
    # The shards are found without the metadata.
    "metadata": (_set_meta("{not json"), "nothing"),
    "old-schema": (_set_meta(json.dumps({"schema_version": 3, "backend": "xapian"})), "nothing"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_rebuild_of_a_damaged_xapian_index_keeps_what_it_can_read(
    republished_corpus, tmp_path, runner, damage
):
    ix = _build(republished_corpus, tmp_path / "index", "xapian", 2)
    stored = every_stored(ix)
    ids = set(stored) - {"alias portal ->"}
    damage_it, lost = DAMAGE[damage]
    damage_it(ix)
    if damage == "old-schema":
        with pytest.raises(IndexOutdated, match="vnsearch index --rebuild"):
            Engine(ix).search("cán bộ")
    result = runner.invoke(cli, ["index", "--rebuild", "--index", str(ix)])
    # Exit status 1 when anything could not be read back.
    assert result.exit_code == (0 if lost == "nothing" else 1), result.output
    assert "Traceback" not in result.output
    assert backend_of(ix) == "xapian" and _shards(ix) == 2
    assert runner.invoke(cli, ["check", "--index", str(ix)]).exit_code == 0
    engine = Engine(ix)
    try:
        kept = {h.id for h in engine.search("", per_page=100).hits}
    finally:
        engine.close_all()
    if lost == "nothing":
        assert every_stored(ix) == stored
        assert _engine_files(ix) == {"xapian"}
        return
    # What could be read is there; the old shards are kept aside for rescue.
    assert kept < ids and len(kept) == (2 if lost == "shard" else len(ids) - 1)
    assert "1 phần không đọc được (shard 1" in result.output
    assert ("bài số 2: " in result.output) == (lost == "article")
    assert ("1 bài không còn dữ liệu đọc được" in result.output) == (lost == "blank")
    assert _engine_files(ix) == {"xapian", "backup"}
    (backup,) = ix.glob("damaged-*")
    # The old shards, as they were: shard 0 whole, and what was left of shard 1.
    kept_aside = sorted(p.name for p in (backup / "shards").iterdir())
    assert kept_aside == (["0"] if damage == "shard-gone" else ["0", "1"])
    assert xapian.Database(str(backup / "shards" / "0")).get_doccount() == 2


@pytest.mark.parametrize(
    "args,code,says",
    [
        (["--backend", "xapian", "--shards", "2"], 0, "chuyển từ whoosh sang xapian (2 shard)"),
        (
            ["--backend", "whoosh", "--shards", "2"],
            2,
            "--shards chỉ dùng được với --backend xapian",
        ),
        ([], 0, "đã xây dựng lại"),
    ],
)
def test_the_command_line_rebuilds_into_another_backend(
    republished_corpus, tmp_path, runner, args, code, says
):
    ix = _build(republished_corpus, tmp_path / "index", "whoosh", None)
    result = runner.invoke(cli, ["index", "--rebuild", "--index", str(ix), *args])
    assert result.exit_code == code, result.output
    assert says in result.output and "Traceback" not in result.output
    result = runner.invoke(cli, ["check", "--index", str(ix)])
    assert result.exit_code == 0 and "6 bài" in result.output, result.output


def test_asking_an_index_for_another_backend_names_the_rebuild(
    republished_corpus, tmp_path, runner
):
    ix = _build(republished_corpus, tmp_path / "index", "xapian", 2)
    result = runner.invoke(
        cli, ["index", str(republished_corpus), "--index", str(ix), "--shards", "3"]
    )
    assert result.exit_code == 2 and "`vnsearch index --rebuild --shards 3`" in result.output
    result = runner.invoke(
        cli, ["index", str(republished_corpus), "--index", str(ix), "--backend", "whoosh"]
    )
    assert result.exit_code == 2 and "`vnsearch index --rebuild --backend whoosh`" in result.output


@pytest.mark.parametrize("processes", [1, 2])
def test_a_served_site_follows_its_index_into_the_other_backend(
    republished_corpus, tmp_path, processes
):
    from server_helpers import Server

    ix = _build(republished_corpus, tmp_path / "index", "whoosh", None)
    new = tmp_path / "new.txt"
    new.write_text("Tin mới về xã Quyết Tiến\n\nNội dung mới zqnew.", "utf-8")
    with Server(ix, tmp_path / "log", processes=processes) as s:
        before = json.loads(s.get("/api/search?q=can+bo&per_page=50").text)
        assert before["total"] == 6
        rebuilt = subprocess.run(
            [
                sys.executable,
                "-m",
                "search",
                "index",
                "--rebuild",
                str(new),
                "--index",
                str(ix),
                "--backend",
                "xapian",
                "--shards",
                "2",
                "--workers",
                "1",
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert rebuilt.returncode == 0, rebuilt.stderr
        # Every process (each has its own readers) answers from the new index.
        for _ in range(4 * processes):
            answer = s.get("/api/search?q=zqnew")
            assert answer.status == 200, s.stderr()
            assert [h["id"] for h in json.loads(answer.text)["hits"]] == ["new"]
        after = json.loads(s.get("/api/search?q=can+bo&per_page=50").text)
        assert [h["id"] for h in after["hits"]] == [h["id"] for h in before["hits"]]
        page = s.get("/search?q=zqnew")
        assert page.status == 200 and "Tin mới về xã Quyết Tiến" in page.text
    assert backend_of(ix) == "xapian"


@pytest.mark.parametrize(
    "change,found",
    [
        (lambda shards: shutil.rmtree(shards / "1"), "có 1 (0)"),
        (lambda shards: shutil.copytree(shards / "0", shards / "2"), "có 3 (0, 1, 2)"),
    ],
    ids=["a-shard-missing", "one-too-many"],
)
def test_shards_other_than_the_metadata_counts_are_damage_until_a_rebuild(
    republished_corpus, tmp_path, runner, change, found
):
    # As a rebuild into another number of shards stopped between its two renames leaves
    # it: reading or writing only some shards would lose articles without a word.
    ix = _build(republished_corpus, tmp_path / "index", "xapian", 2)
    change(ix / "shards")
    said = f"siêu dữ liệu ghi 2 shard, thư mục {ix / 'shards'} {found}"
    # compact too (it said "chưa có chỉ mục" of a shard missing).
    for args in (["search", "cán bộ"], ["index", str(republished_corpus)], ["compact"]):
        result = runner.invoke(cli, [*args, "--index", str(ix)])
        assert result.exit_code == 2 and said in result.output, result.output
        assert "vnsearch index --rebuild" in result.output and "Traceback" not in result.output
    folders = sorted(p.name for p in (ix / "shards").iterdir())
    assert folders == (["0", "1", "2"] if "0, 1, 2" in found else ["0"])  # nothing made anew
    result = runner.invoke(cli, ["check", "--index", str(ix)])
    assert result.exit_code == 1 and said in result.output, result.output
    result = runner.invoke(cli, ["index", "--rebuild", "--index", str(ix)])
    # The missing shard's articles could not be read back: said, and exit status 1.
    missing = "0, 1, 2" not in found
    assert result.exit_code == (1 if missing else 0), result.output
    assert ("1 phần không đọc được (shard 1" in result.output) == missing
    assert runner.invoke(cli, ["check", "--index", str(ix)]).exit_code == 0


def test_a_first_run_stopped_before_making_its_shards_is_indexed_into_anew(
    republished_corpus, tmp_path, runner
):
    ix = tmp_path / "index"
    ix.mkdir()
    (ix / META_FILE).write_text(
        json.dumps({"schema_version": SCHEMA_VERSION, "backend": "xapian", "shards": 2}), "utf-8"
    )
    result = runner.invoke(cli, ["index", str(republished_corpus), "--index", str(ix)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(cli, ["check", "--index", str(ix)]).exit_code == 0
    assert sorted(p.name for p in (ix / "shards").iterdir()) == ["0", "1"]


# --- a swap interrupted after any of its steps (search/backends/swap.py) -----------------


def _stored_and_new(ix: Path, stored: dict) -> bool:
    """Does ``ix`` hold every article of ``stored`` and the new one? (Built anew from the
    same files: each copy stamped when that index was built.)"""
    now = every_stored(ix)
    return "new" in now and unstamped(now, "new") == unstamped(stored)


def _new_beside(ix: Path, corpus: Path, new: Path, backend: str, shards: int | None) -> Path:
    """A complete index of the corpus and one new article in a rebuild folder beside ``ix``,
    as `vnsearch index --rebuild` builds it before swapping it in."""
    folder = rebuild_folder(ix)
    report = index_paths([corpus, new], folder, workers=1, backend=backend, shards=shards)
    assert (report.indexed, report.merged) == (7, 1)
    return folder


MOVES = [
    ("whoosh", None, "xapian", 2),
    ("xapian", 2, "xapian", 3),
    ("xapian", 3, "xapian", 1),
    ("xapian", 2, "whoosh", None),
]


@pytest.mark.parametrize("steps", range(swap.STEPS))
@pytest.mark.parametrize("before,shards_before,after,shards_after", MOVES)
def test_a_swap_killed_after_any_step_is_finished_by_the_next_writer(
    republished_corpus, tmp_path, runner, before, shards_before, after, shards_after, steps
):
    move = (before, shards_before, after, shards_after)
    ix, folder, stored = _committed(tmp_path, republished_corpus, move, steps)  # then killed
    result = runner.invoke(cli, ["check", "--index", str(ix), "--json"])
    assert result.exit_code == 1, result.output
    assert "swap" in [f["code"] for f in json.loads(result.stdout)["findings"]]
    # The next holder of the write lock finishes the swap.
    result = runner.invoke(cli, ["check", "--repair", "--index", str(ix)])
    assert result.exit_code == 0, result.output
    assert "đã thay xong chỉ mục mà một lần `vnsearch index --rebuild` bị dừng" in result.output
    assert backend_of(ix) == after and _shards(ix) == shards_after
    assert _engine_files(ix) == {after}
    assert not folder.exists() and not (ix / ".shards.old").exists()
    assert (ix / "notes.txt").exists()
    assert _stored_and_new(ix, stored)
    assert runner.invoke(cli, ["check", "--index", str(ix)]).exit_code == 0


def test_a_reader_waits_for_the_shards_being_swapped_in(republished_corpus, tmp_path):
    # Between the shards' rename and the metadata's, a reader would find three shards
    # where the metadata counts two: it waits for the swap instead of failing.
    ix, _, _ = _committed(tmp_path, republished_corpus, ("xapian", 2, "xapian", 3), 1)
    later = threading.Timer(0.5, swap.finish, args=(ix,))
    later.start()
    try:
        engine = Engine(ix)
        try:
            assert [h.id for h in engine.search("zqnew").hits] == ["new"]
        finally:
            engine.close_all()
    finally:
        later.join()
    assert _shards(ix) == 3


def test_a_swap_left_unfinished_is_named_by_readers(
    republished_corpus, tmp_path, runner, monkeypatch
):
    ix, _, _ = _committed(tmp_path, republished_corpus, ("xapian", 2, "xapian", 3), 1)
    new = tmp_path / "new.txt"
    monkeypatch.setattr("search.backends.xapian.SWAP_WAIT", 0.2)
    result = runner.invoke(cli, ["search", "zqnew", "--index", str(ix)])
    assert result.exit_code == 2 and "`vnsearch check --repair`" in result.output, result.output
    assert "Traceback" not in result.output
    result = runner.invoke(cli, ["index", str(new), "--index", str(ix)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["search", "zqnew", "--index", str(ix)])
    assert result.exit_code == 0 and result.output.startswith("1 kết quả"), result.output


def test_a_plain_rebuild_keeps_the_backend_whatever_the_settings_say_of_new_indexes(
    republished_corpus, tmp_path, runner
):
    ix = _build(republished_corpus, tmp_path / "index", "whoosh", None)
    env = {"VNSEARCH_BACKEND": "xapian"}
    result = runner.invoke(cli, ["index", "--rebuild", "--index", str(ix)], env=env)
    assert result.exit_code == 0 and "chuyển từ" not in result.output, result.output
    assert backend_of(ix) == "whoosh"
    result = runner.invoke(
        cli, ["index", "--rebuild", "--index", str(ix), "--backend", "xapian"], env=env
    )
    assert result.exit_code == 0 and "chuyển từ whoosh sang xapian" in result.output
    # A new index, rebuilt from nothing, is made as the settings say.
    fresh = tmp_path / "fresh"
    result = runner.invoke(
        cli, ["index", "--rebuild", str(republished_corpus), "--index", str(fresh)], env=env
    )
    assert result.exit_code == 0, result.output
    assert backend_of(fresh) == "xapian"


@pytest.mark.parametrize(
    "meta,says",
    [
        ({"backend": "solr"}, "(backend 'solr' không phải whoosh hay xapian)"),
        ({"backend": "xapian", "shards": "two"}, "(số shard 'two')"),
        ({"backend": "xapian", "shards": 0}, "(số shard '0')"),
        ({"backend": "xapian", "shards": 2000}, "(số shard '2000')"),
    ],
    ids=["unknown-backend", "shards-not-a-number", "no-shards", "more-than-1024"],
)
def test_metadata_vnsearch_cannot_follow_is_damage_and_a_rebuild_keeps_every_article(
    republished_corpus, tmp_path, runner, meta, says
):
    ix = _build(republished_corpus, tmp_path / "index", "xapian", 2)
    (ix / META_FILE).write_text(json.dumps({"schema_version": SCHEMA_VERSION, **meta}), "utf-8")
    for args in (["search", "cán bộ"], ["index", str(republished_corpus)], ["stats"], ["check"]):
        result = runner.invoke(cli, [*args, "--index", str(ix)])
        assert result.exit_code in (1, 2) and says in result.output, (args, result.output)
        assert "bị hỏng" in result.output and "Traceback" not in result.output
    assert not any(n.endswith(".toc") for n in os.listdir(ix))  # no Whoosh index made there
    # The shards are found without the metadata: every article is kept.
    result = runner.invoke(cli, ["index", "--rebuild", "--index", str(ix)])
    assert result.exit_code == 0 and "giữ lại 6 bài đã lưu (2 shard)" in result.output
    assert backend_of(ix) == "xapian" and _shards(ix) == 2


@pytest.mark.skipif(TCPSRV is None, reason="xapian-tools is not installed")
def test_served_shards_answer_from_the_rebuilt_index(republished_corpus, tmp_path):
    # xapian-tcpsrv serves DIR/shards/K by path: a reader already connected, and new
    # connections, find the rebuilt shards there.
    ix = _build(republished_corpus, tmp_path / "index", "xapian", 2)
    new = tmp_path / "new.txt"
    new.write_text("Tin mới về xã Quyết Tiến\n\nNội dung mới zqnew.", "utf-8")
    with served_shards(ix) as urls:
        engine = Engine(ix, shard_urls=urls)
        try:
            assert engine.search("").total == 6
            index_paths([new], ix, workers=1, rebuild=True)
            assert [h.id for h in engine.search("zqnew").hits] == ["new"]
            assert engine.search("").total == 7
        finally:
            engine.close_all()
        fresh = Engine(ix, shard_urls=urls)
        try:
            assert [h.id for h in fresh.search("zqnew").hits] == ["new"]
        finally:
            fresh.close_all()
        # Moved to three shards, or to Whoosh: the shards served no longer make the index.
        running = Engine(ix, shard_urls=urls)
        try:
            assert running.search("").total == 7
            for args in ({"shards": 3}, {"backend": "whoosh"}):
                index_paths([], ix, workers=1, rebuild=True, **args)
                engine = Engine(ix, shard_urls=urls)
                try:
                    for reader in (running, engine, running, engine):  # never a part of it
                        with pytest.raises(
                            ShardUnavailable, match="shard nhưng có 2|chỉ dùng với chỉ mục Xapian"
                        ):
                            reader.search("zqnew")
                finally:
                    engine.close_all()
        finally:
            running.close_all()


def _stop_swaps(monkeypatch, steps: int, error: BaseException) -> None:
    """Make the next swap stop after ``steps`` of its steps with ``error`` (Ctrl-C, a full
    disk), as the run that commits it would."""
    finish = swap.finish

    def stopped(path, steps_=swap.STEPS):
        finish(path, steps=steps)
        raise error

    monkeypatch.setattr(swap, "finish", stopped)


def _committed(tmp_path: Path, corpus: Path, move: tuple, steps: int) -> tuple[Path, Path, dict]:
    """An index, and the swap of its rebuild committed and stopped after ``steps`` steps."""
    before, shards_before, after, shards_after = move
    ix = _build(corpus, tmp_path / "index", before, shards_before)
    stored = every_stored(ix)
    new = tmp_path / "new.txt"
    new.write_text("Tin mới về xã Quyết Tiến\n\nNội dung mới zqnew.", "utf-8")
    folder = _new_beside(ix, corpus, new, after, shards_after)
    swap.commit(folder, ix, keep=None)
    swap.finish(ix, steps=steps)
    return ix, folder, stored


@pytest.mark.parametrize("steps", [0, 1])
@pytest.mark.parametrize("move", MOVES, ids=lambda m: f"{m[0]}{m[1] or ''}-{m[2]}{m[3] or ''}")
def test_a_swap_whose_rebuilt_index_went_missing_is_finished_or_abandoned_never_half_done(
    republished_corpus, tmp_path, runner, move, steps
):
    ix, folder, stored = _committed(tmp_path, republished_corpus, move, steps)
    shutil.rmtree(folder)  # by hand, or by a run of an older version
    result = runner.invoke(cli, ["check", "--repair", "--index", str(ix)])
    assert result.exit_code == 0, result.output
    before, shards_before, after, shards_after = move
    if steps == 0:  # nothing had moved: the old index stays
        assert "đã bỏ việc thay dở dang" in result.output
        assert backend_of(ix) == before and _shards(ix) == shards_before
        assert every_stored(ix) == stored
    else:  # the new index had moved in: the swap is finished
        assert "đã thay xong chỉ mục" in result.output
        assert backend_of(ix) == after and _shards(ix) == shards_after
        assert _stored_and_new(ix, stored)
    assert not (ix / ".vnsearch-swap.json").exists() and _engine_files(ix) == {backend_of(ix)}
    assert runner.invoke(cli, ["check", "--index", str(ix)]).exit_code == 0


@pytest.mark.parametrize(
    "move", MOVES[:2] + MOVES[3:], ids=["whoosh-xapian", "xapian-xapian", "xapian-whoosh"]
)
def test_a_rebuild_stopped_by_an_error_after_its_swap_was_committed_keeps_its_folder(
    republished_corpus, tmp_path, runner, monkeypatch, move
):
    # Ctrl-C, a full disk: the rebuild folder holds the new index the journal names.
    before, shards_before, after, shards_after = move
    ix = _build(republished_corpus, tmp_path / "index", before, shards_before)
    stored = every_stored(ix)
    _stop_swaps(monkeypatch, 1, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        index_paths([], ix, workers=1, rebuild=True, backend=after, shards=shards_after)
    monkeypatch.undo()
    assert (ix / ".vnsearch-swap.json").exists()
    assert len(list(tmp_path.glob(".index.rebuild-*"))) == 1  # kept for the swap
    new = tmp_path / "new.txt"
    new.write_text("Tin mới về xã Quyết Tiến\n\nNội dung mới zqnew.", "utf-8")
    report = index_paths([new], ix, workers=1)  # finishes the swap first
    assert report.indexed == 1
    assert backend_of(ix) == after and _shards(ix) == shards_after
    assert _stored_and_new(ix, stored)
    assert not list(tmp_path.glob(".index.rebuild-*"))


@pytest.mark.parametrize(
    "journal",
    [
        lambda j: {**j, "from": ""},  # would name the index's parent folder
        lambda j: {**j, "from": "neighbour"},
        lambda j: {**j, "from": j["from"].replace(".index.", ".other.")},  # a copy's
        lambda j: {**j, "keep": "/tmp/elsewhere"},
        lambda j: {**j, "old_files": ["../neighbour/file"]},
        lambda j: {**j, "old_files": ["vnsearch.json"]},
        lambda j: {**j, "old_files": [".."]},
        lambda j: "not a journal",
    ],
    ids=[
        "parent",
        "sibling",
        "another-index",
        "keep-elsewhere",
        "file-elsewhere",
        "metadata",
        "dot-dot",
        "garbage",
    ],
)
def test_a_journal_vnsearch_did_not_write_for_this_folder_is_never_followed(
    republished_corpus, tmp_path, runner, journal
):
    ix, folder, stored = _committed(tmp_path, republished_corpus, MOVES[1], 0)
    neighbour = tmp_path / "neighbour"
    neighbour.mkdir()
    (neighbour / "file").write_text("someone else's", "utf-8")
    path = ix / ".vnsearch-swap.json"
    path.write_text(json.dumps(journal(json.loads(path.read_text("utf-8")))), "utf-8")
    for args in (["index", str(republished_corpus)], ["check", "--repair"]):
        result = runner.invoke(cli, [*args, "--index", str(ix)])
        assert result.exit_code == 2, result.output
        assert "bị hỏng hoặc không thuộc thư mục này" in result.output
        assert "Traceback" not in result.output
    result = runner.invoke(cli, ["check", "--index", str(ix), "--json"])
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "swap"]
    assert finding["fix"].startswith("hãy đổi tên nó")
    assert (neighbour / "file").read_text("utf-8") == "someone else's" and folder.is_dir()
    assert every_stored(ix) == stored  # nothing had moved: the old index answers
    path.rename(ix / ".vnsearch-swap.json.bad")
    result = runner.invoke(cli, ["index", "--rebuild", "--index", str(ix)])
    assert result.exit_code == 0 and "giữ lại 6 bài đã lưu" in result.output, result.output


def test_leftover_old_shards_stop_a_rebuild_before_anything_changes(
    republished_corpus, tmp_path, runner
):
    ix = _build(republished_corpus, tmp_path / "index", "xapian", 2)
    shutil.copytree(ix / "shards", ix / ".shards.old")
    result = runner.invoke(cli, ["index", "--rebuild", "--index", str(ix), "--shards", "3"])
    assert result.exit_code == 2 and "còn lại từ trước" in result.output, result.output
    assert _shards(ix) == 2 and (ix / ".shards.old" / "0").is_dir()
    assert not list(tmp_path.glob(".index.rebuild-*"))
    assert runner.invoke(cli, ["check", "--index", str(ix)]).exit_code == 0


def test_an_index_folder_reached_by_a_link_is_rebuilt_beside_the_folder_itself(
    republished_corpus, tmp_path, runner, monkeypatch
):
    # Beside the folder itself: on its file system, where one rename moves the new shards.
    real = _build(republished_corpus, tmp_path / "disk" / "index", "xapian", 2)
    (tmp_path / "links").mkdir()
    link = tmp_path / "links" / "ix"
    link.symlink_to(real, target_is_directory=True)
    _stop_swaps(monkeypatch, 0, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        index_paths([], link, workers=1, rebuild=True, shards=3)
    monkeypatch.undo()
    assert len(list((tmp_path / "disk").glob(".index.rebuild-*"))) == 1
    assert [p.name for p in (tmp_path / "links").iterdir()] == ["ix"]
    result = runner.invoke(cli, ["check", "--repair", "--index", str(link)])
    assert result.exit_code == 0 and "đã thay xong" in result.output, result.output
    assert link.is_symlink() and _shards(real) == 3
    assert every_stored(link)["alias portal ->"] == "paper"


def test_a_whoosh_swap_stopped_between_its_segments_and_its_table_of_contents(
    republished_corpus, tmp_path, runner
):
    # The new segments had moved in, not yet their table of contents, when the rebuilt
    # index went missing: nothing of the old index was touched, and it stays.
    ix, folder, stored = _committed(tmp_path, republished_corpus, MOVES[3], 0)
    for seg in folder.glob("*.seg"):
        seg.rename(ix / seg.name)
    shutil.rmtree(folder)
    result = runner.invoke(cli, ["check", "--repair", "--index", str(ix)])
    assert result.exit_code == 0 and "đã bỏ việc thay dở dang" in result.output, result.output
    assert backend_of(ix) == "xapian" and every_stored(ix) == stored


def test_a_swap_finds_its_shards_in_a_folder_copied_in_place(republished_corpus, tmp_path, runner):
    # After the shards moved, their folder was restored from a copy (or its device number
    # changed with a reboot): the swap is recognised by the marker in it and finished.
    ix, _, stored = _committed(tmp_path, republished_corpus, MOVES[1], 1)
    shutil.copytree(ix / "shards", ix / "shards.copy")
    shutil.rmtree(ix / "shards")
    (ix / "shards.copy").rename(ix / "shards")
    result = runner.invoke(cli, ["check", "--repair", "--index", str(ix)])
    assert result.exit_code == 0 and "đã thay xong" in result.output, result.output
    assert _shards(ix) == 3 and _stored_and_new(ix, stored)
    assert not (ix / ".shards.old").exists() and not list((ix / "shards").glob(".*"))


def test_a_swap_stopped_by_a_full_disk_says_how_it_will_be_finished(
    republished_corpus, tmp_path, runner, monkeypatch
):
    import errno

    ix = _build(republished_corpus, tmp_path / "index", "xapian", 2)
    _stop_swaps(monkeypatch, 1, OSError(errno.ENOSPC, "No space left on device"))
    result = runner.invoke(cli, ["index", "--rebuild", "--index", str(ix), "--shards", "3"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "`vnsearch check --repair`" in result.output and "để hoàn tất" in result.output
    monkeypatch.undo()
    assert runner.invoke(cli, ["check", "--repair", "--index", str(ix)]).exit_code == 0
    assert _shards(ix) == 3
