"""An index is never lost and never silently damaged: metadata, rebuilds, damaged files, locks."""

import json
import re
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from helpers import every_stored

from search.article import Article
from search.backends.base import SCHEMA_VERSION
from search.backends.whoosh_index import open_index
from search.check import check_index
from search.cli import cli
from search.engine import Engine
from search.errors import IndexDamaged, IndexLocked
from search.index import LOCK_FILE, META_FILE, write_lock
from search.ingest import index_paths
from search.stored import pack, unpack

# Whoosh's files, damaged and locked (the Xapian backend's: tests/test_backends.py).
pytestmark = pytest.mark.whoosh_only

SEED = "000_5bb86f784192a000"


@pytest.fixture
def corpus(republished_corpus):
    return republished_corpus


@pytest.fixture
def built(corpus, tmp_path):
    """A real index of the corpus (6 articles, one alias) with an unrelated file beside it."""
    ix = tmp_path / "index"
    report = index_paths([corpus], ix, workers=1)
    assert (report.indexed, report.merged) == (6, 1)
    (ix / "notes.txt").write_text("mine, not the index's", "utf-8")
    return ix


@pytest.fixture
def new_file(tmp_path):
    f = tmp_path / "new.txt"
    f.write_text("Tin mới về xã Quyết Tiến\n\nNội dung mới zqnew.", "utf-8")
    return f


# A log line (search/logs.py): timestamp, level, logger, message.
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR) [\w.]+: ")


def one_line_exit_2(result) -> str:
    """The one line a failed command prints (log lines about what happened before aside)."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [x for x in result.output.strip().splitlines() if not LOG_LINE.match(x)]
    assert len(lines) == 1, result.output
    return lines[0]


# --- metadata -------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[:10],  # a write cut short
        lambda raw: b"",
        lambda raw: b"\x00" * len(raw),
        lambda raw: b"[]",
        lambda raw: json.dumps({"schema_version": str(SCHEMA_VERSION)}).encode(),
    ],
    ids=["truncated", "empty", "zeros", "not-an-object", "version-not-a-number"],
)
def test_damaged_metadata_keeps_every_article(built, new_file, runner, damage):
    before = every_stored(built)
    meta = built / META_FILE
    meta.write_bytes(damage(meta.read_bytes()))

    line = one_line_exit_2(runner.invoke(cli, ["index", str(new_file), "--index", str(built)]))
    assert META_FILE in line and "vnsearch index --rebuild" in line
    line = one_line_exit_2(runner.invoke(cli, ["search", "cán bộ", "--index", str(built)]))
    assert "--rebuild" in line
    assert {p.name for p in built.glob("MAIN_*.seg")}  # nothing was deleted

    result = runner.invoke(cli, ["index", "--rebuild", str(new_file), "--index", str(built)])
    assert result.exit_code == 0, result.output
    assert "giữ lại 6 bài đã lưu" in result.output
    after = every_stored(built)
    assert {k: v for k, v in after.items() if k != "new"} == before
    assert after["new"]["title"] == "Tin mới về xã Quyết Tiến"
    assert (built / "notes.txt").read_text("utf-8") == "mine, not the index's"
    assert runner.invoke(cli, ["check", "--index", str(built)]).exit_code == 0


def test_metadata_is_replaced_atomically(built):
    # The metadata is written to a temporary file and renamed: no other file
    # of that name is ever open for writing, and no temporary file is left.
    index_paths([], built, workers=1, rebuild=True)
    assert json.loads((built / META_FILE).read_text("utf-8")) == {"schema_version": SCHEMA_VERSION}
    assert not [p for p in built.iterdir() if p.name.endswith(".tmp")]
    assert not list(built.parent.glob(".index.rebuild-*"))


# --- schema versions and --rebuild ---------------------------------------------------


@pytest.mark.parametrize("version", [SCHEMA_VERSION - 1, SCHEMA_VERSION + 1])
def test_other_schema_version_is_refused_and_rebuild_keeps_every_stored_article(
    built, corpus, new_file, runner, version
):
    before = every_stored(built)
    (built / META_FILE).write_text(json.dumps({"schema_version": version}), "utf-8")
    for args in (["index", str(new_file)], ["search", "cán bộ"], ["show", SEED], ["stats"]):
        line = one_line_exit_2(runner.invoke(cli, [*args, "--index", str(built)]))
        assert f"lược đồ phiên bản {version}" in line and "vnsearch index --rebuild" in line

    result = runner.invoke(cli, ["index", "--rebuild", "--index", str(built), "--json"])
    assert result.exit_code == 0, result.output
    assert every_stored(built) == before  # ids, URLs, aliases and every field
    assert (built / "notes.txt").exists()
    # Rebuilt articles keep their content hashes: nothing is re-indexed.
    report = index_paths([corpus], built, workers=1)
    assert (report.indexed, report.unchanged) == (0, 7)


def test_rebuild_with_new_inputs_replaces_changed_articles(built, corpus):
    text = (corpus / f"{SEED}.txt").read_text("utf-8")
    (corpus / f"{SEED}.txt").write_text(text.replace("Háng Lìa", "Mường Luân xyzzy"), "utf-8")
    report = index_paths([corpus], built, workers=1, rebuild=True)
    assert report.indexed == 1 and report.unchanged == 6
    engine = Engine(built)
    assert [h.id for h in engine.search("xyzzy").hits] == [SEED]
    assert engine.count() == 6
    engine.close_all()


@pytest.mark.slow
def test_rebuild_killed_midway_leaves_the_old_index_intact(built, tmp_path):
    many = tmp_path / "many"
    many.mkdir()
    for i in range(300):
        (many / f"m{i:04d}.txt").write_text(
            f"Tin số {i} về xã Na Sang\n\nNội dung zqm{i:04d}.", "utf-8"
        )
    before = every_stored(built)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "search",
            "index",
            "--rebuild",
            str(many),
            "--index",
            str(built),
            "--batch-size",
            "10",
            "--workers",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        tmp = list(built.parent.glob(".index.rebuild-*"))
        if tmp and _generation(tmp[0]) > 5:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the rebuild finished before it could be killed"
    proc.kill()
    proc.communicate()
    assert every_stored(built) == before
    assert Engine(built).search("zqm0001").total == 0
    assert list(built.parent.glob(".index.rebuild-*"))  # the killed run's partial copy
    assert check_index(built).healthy  # it is noted, not damage
    # The next rebuild removes that copy, completes and keeps everything.
    report = index_paths([many], built, workers=1, rebuild=True)
    assert not list(built.parent.glob(".index.rebuild-*"))
    assert report.indexed == 300
    after = every_stored(built)
    assert {k: after[k] for k in before} == before


# --- damaged files -------------------------------------------------------------


def _newest_toc(ix: Path) -> Path:
    return max(ix.glob("_MAIN_*.toc"), key=lambda p: int(p.stem[len("_MAIN_") :]))


def _truncate_toc(ix: Path):
    toc = _newest_toc(ix)
    toc.write_bytes(toc.read_bytes()[:40])


def _delete_segment(ix: Path):
    next(ix.glob("MAIN_*.seg")).unlink()


def _truncate_segment(ix: Path):
    seg = max(ix.glob("MAIN_*.seg"), key=lambda p: p.stat().st_size)
    seg.write_bytes(seg.read_bytes()[: seg.stat().st_size // 2])


def _break_stored_document(ix: Path):
    # A document whose stored article is not compressed JSON, written by Whoosh itself.
    writer = open_index(ix).writer()
    writer.add_document(id="broken", hash="x", doc=b"\x78\x9cnot zlib at all")
    writer.commit()


def test_stored_copies_read_with_or_without_the_preset_dictionary():
    article = Article(id="x", title="Cán bộ cấp xã", body="Ủy ban nhân dân xã Háng Lìa. " * 20)
    packed = pack(article)
    assert unpack(packed) == article
    # As schema version 4 stored them (Xapian indexes of that version are read).
    plain = zlib.compress(article.dumps().encode("utf-8"), 6)
    assert unpack(plain) == article and len(packed) < len(plain)
    for cut in (packed[:-4], packed[:6], plain[:-4], b"", b"\x78\x9cnot zlib at all"):
        with pytest.raises(zlib.error):
            unpack(cut)


DAMAGE = {
    "toc": _truncate_toc,
    "missing-seg": _delete_segment,
    "truncated-seg": _truncate_segment,
    "stored-doc": _break_stored_document,
}
COMMANDS = {
    "search": ["search", ""],
    "show": ["show", SEED],
    "show-broken": ["show", "broken"],
    "stats": ["stats"],
    "index": ["index", "NEW"],
}


@pytest.mark.parametrize(
    "damage, command",
    [
        (d, c)
        for d in DAMAGE
        for c in COMMANDS
        if (c == "show-broken") == (d == "stored-doc")
        or (d == "stored-doc" and c in ("search", "index"))
    ],
)
def test_damaged_index_gives_one_line_and_exit_2(built, new_file, runner, damage, command):
    DAMAGE[damage](built)
    args = [str(new_file) if a == "NEW" else a for a in COMMANDS[command]]
    line = one_line_exit_2(runner.invoke(cli, [*args, "--index", str(built)]))
    assert "bị hỏng" in line and "vnsearch index --rebuild" in line


CALLS = {
    "browse": lambda e: e.search("", per_page=100),
    "search": lambda e: e.search("cán bộ", per_page=100),
    "article": lambda e: e.article("broken"),
    "related": lambda e: e.related("broken"),
}


# A broken document that no query matches is only met when browsing or opening it.
@pytest.mark.parametrize(
    "damage, call", [(d, c) for d in DAMAGE for c in CALLS if (d, c) != ("stored-doc", "search")]
)
def test_library_raises_index_damaged_only(built, damage, call):
    DAMAGE[damage](built)
    engine = Engine(built)
    try:
        with pytest.raises(IndexDamaged, match="vnsearch index --rebuild"):
            CALLS[call](engine)
    finally:
        engine.close_all()


def test_damaged_segment_in_a_real_process(built):
    _truncate_segment(built)
    for args in (["search", "cán bộ"], ["stats"]):
        proc = subprocess.run(
            [sys.executable, "-m", "search", *args, "--index", str(built)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 2
        assert proc.stdout == ""
        assert "Traceback" not in proc.stderr and "Aborted" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert "bị hỏng" in proc.stderr


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_rebuild_of_a_damaged_index_keeps_what_it_can_read(built, runner, damage):
    ids = set(every_stored(built)) - {"alias portal ->"}
    DAMAGE[damage](built)
    before = sorted(p.name for p in built.iterdir())
    result = runner.invoke(cli, ["index", "--rebuild", "--index", str(built)])
    if damage == "toc":
        # Not one article can be read back: the rebuild refuses to swap in an
        # empty index and leaves the old one as it was.
        line = one_line_exit_2(result)
        assert "không đọc lại được bài nào" in line and "chỉ mục cũ được giữ nguyên" in line
        assert "mục lục" in line and "table of contents" not in line
        assert sorted(p.name for p in built.iterdir()) == before
        return
    # Exit status 1: something could not be read back (the note names it).
    assert result.exit_code == 1, result.output
    kept = set(
        Engine(built).search("", per_page=100).hits
        and [h.id for h in Engine(built).search("", per_page=100).hits]
    )
    if damage == "stored-doc":
        assert kept == ids  # only the broken one is lost
        assert "1 phần không đọc được" in result.output
        assert "bài số" in result.output and "document" not in result.output
    else:
        assert kept < ids or kept == set()
    if damage != "stored-doc":
        backups = list(built.glob("damaged-*"))
        assert len(backups) == 1 and list(backups[0].iterdir())  # the old files, for rescue
    assert runner.invoke(cli, ["check", "--index", str(built)]).exit_code == 0


# --- one writer at a time ---------------------------------------------------------------


def test_a_second_run_waits_for_the_lock_then_stops(built, new_file):
    with write_lock(built, 0):
        started = time.monotonic()
        with pytest.raises(IndexLocked, match="một lệnh `vnsearch index` khác đang ghi"):
            index_paths([new_file], built, workers=1, lock_timeout=0.5)
        assert 0.5 <= time.monotonic() - started < 10
    assert index_paths([new_file], built, workers=1).indexed == 1
    assert (built / LOCK_FILE).exists()


def _corpus(d: Path, prefix: str, n: int) -> Path:
    d.mkdir()
    for i in range(n):
        (d / f"{prefix}{i:04d}.txt").write_text(
            f"Tin {prefix} số {i}\n\nXã họp bàn về cán bộ, mã zq{prefix}{i:04d}.", "utf-8"
        )
    return d


def _generation(ix: Path) -> int:
    # From file names: older tables of contents are deleted at each commit.
    gens = (
        [int(p.name[len("_MAIN_") : -len(".toc")]) for p in ix.glob("_MAIN_*.toc")]
        if ix.is_dir()
        else []
    )
    return max(gens, default=-1)


def _run(*args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "search", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
# A search that meets a commit in progress (a segment merged away under it)
# fails, and Whoosh leaves that searcher's segment files to the garbage
# collector: reported as unraisable ResourceWarnings. This test is about the
# write lock; the leak on that path is a known issue (closing note, session 3).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_two_concurrent_runs_do_not_interleave(tmp_path):
    ix = tmp_path / "index"
    # Long enough (120 commits) that the second run starts while the first writes.
    a = _corpus(tmp_path / "a", "aa", 600)
    b = _corpus(tmp_path / "b", "bb", 50)
    first = _run("index", a, "--index", ix, "--batch-size", 5, "--workers", 1)
    deadline = time.time() + 120
    while not _generation(ix) >= 2 and time.time() < deadline and first.poll() is None:
        time.sleep(0.02)
    assert first.poll() is None, "the first run finished too soon"
    second = _run("index", b, "--index", ix, "--batch-size", 10, "--wait", 600)
    seen_b_while_a_ran = []
    while first.poll() is None:
        try:
            with Engine(ix) as engine:  # closed whether or not the search succeeds
                seen_b_while_a_ran.append(engine.search("zqbb0001").total)
        except Exception:  # noqa: BLE001, S110 - a commit in progress: try again
            pass
        time.sleep(0.1)
    _, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    _, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert seen_b_while_a_ran and set(seen_b_while_a_ran) == {0}
    engine = Engine(ix)
    assert engine.count() == 650
    engine.close_all()
    from search.backends.whoosh_writing import stamp
    from search.index import write_lock
    from search.vocab import Vocabulary

    with Vocabulary(ix) as v:
        assert v.matches(stamp(open_index(ix)))
        assert v.stats()["documents"] == 650
    # A run that will not wait for one holding the lock stops at once with one clear line.
    with write_lock(ix):
        _, err = _run("index", b, "--index", ix, "--wait", 0).communicate(timeout=120)
    assert "một lệnh `vnsearch index` khác đang ghi" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "error, damaged",
    [
        (lambda: __import__("zlib").decompress(b"not zlib"), True),
        (lambda: open("/nonexistent/segment.seg", "rb"), True),  # noqa: SIM115 (it fails)
        (lambda: __import__("json").loads("{cut sh"), True),
        (lambda: {"key": 1}["a key our own code forgot"], False),  # a bug: its traceback stays
        (lambda: None + 1, False),  # type: ignore[operator]  # the TypeError is the point
    ],
    ids=["zlib", "missing-file", "json", "our-KeyError", "our-TypeError"],
)
def test_only_damage_becomes_index_damaged(tmp_path, error, damaged):
    from search.backends.whoosh_index import reading

    if damaged:
        with pytest.raises(IndexDamaged, match="vnsearch index --rebuild"), reading(tmp_path):
            error()
    else:
        with pytest.raises((KeyError, TypeError)), reading(tmp_path):
            error()


def test_a_reader_open_during_a_rebuild_moves_to_the_new_index(built, new_file):
    engine = Engine(built)
    try:
        assert engine.search("", per_page=100).total == 6
        index_paths([new_file], built, workers=1, rebuild=True)
        # The swap gives the new table of contents a higher generation: seen at once.
        assert [h.id for h in engine.search("zqnew").hits] == ["new"]
        assert engine.search("", per_page=100).total == 7
    finally:
        engine.close_all()


def test_rebuild_reads_an_older_table_of_contents_when_the_newest_is_damaged(built, runner):
    ids = set(every_stored(built)) - {"alias portal ->"}
    old_toc = _newest_toc(built)
    saved = old_toc.read_bytes()
    writer = open_index(built).writer()  # one more commit that leaves older segments in place
    writer.add_document(id="late", hash="x", doc=b"whatever")
    writer.commit(merge=False)
    old_toc.write_bytes(saved)  # as if Whoosh's clean-up had not run yet
    _truncate_toc(built)  # the newest is cut short
    result = runner.invoke(cli, ["index", "--rebuild", "--index", str(built)])
    # The newest table of contents could not be read: said, with exit status 1.
    assert result.exit_code == 1 and "mục lục" in result.output, result.output
    engine = Engine(built)
    assert {h.id for h in engine.search("", per_page=100).hits} == ids
    engine.close_all()
