"""Crashes and concurrency with real processes: kill -9, two writers, search during commits."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import SYLLABLES

from search.backends.whoosh_index import open_index
from search.backends.whoosh_writing import stamp
from search.engine import Engine
from search.index import write_lock
from search.ingest import index_paths

N_ARTICLES = 1200


def make_corpus(d: Path, n: int) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (d / f"a{i:05d}.txt").write_text(
            f"Tin số {i} của xã Mường Luân\n\nUBND xã họp bàn về cán bộ, mã riêng zq{i:05d}.",
            "utf-8",
        )
    return d


def vnsearch(*args, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "search", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def committed(index_dir: Path) -> int:
    try:
        with open_index(index_dir).searcher() as s:
            return s.doc_count()
    except Exception:  # noqa: BLE001 (a killed writer may leave an index no reader opens yet)
        return 0


@pytest.mark.slow
def test_kill_9_mid_run_loses_at_most_a_batch_and_rerun_completes(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", N_ARTICLES)
    ix = tmp_path / "index"
    proc = vnsearch("index", corpus, "--index", ix, "--batch-size", 100, "--workers", 1)
    deadline = time.time() + 300
    while committed(ix) < 200 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()

    engine = Engine(ix)
    before = engine.count()
    assert 200 <= before < N_ARTICLES
    assert before % 100 == 0  # whole batches only
    for hit in engine.search("", per_page=100).hits:
        n = hit.id[1:]
        assert [h.id for h in engine.search(f"zq{n}").hits] == [hit.id]

    rerun = vnsearch("index", corpus, "--index", ix, "--batch-size", 100, "--json")
    out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    assert f'"unchanged": {before}' in out
    engine.close()
    engine = Engine(ix)
    assert engine.count() == N_ARTICLES
    assert engine.search("mường luân", per_page=1).total == N_ARTICLES  # no duplicates
    assert [h.id for h in engine.search("zq00042").hits] == ["a00042"]
    engine.close()


@pytest.mark.slow
def test_second_writer_waits_then_stops_with_a_clear_message(tmp_path, seed_dir):
    ix = tmp_path / "index"
    index_paths([seed_dir], ix, workers=1)
    corpus = make_corpus(tmp_path / "more", 3)
    with write_lock(ix):  # held, as by a running `vnsearch index`
        started = time.time()
        proc = vnsearch("index", corpus, "--index", ix, "--wait", 1)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 2
        assert "một lệnh `vnsearch index` khác đang ghi vào" in err
        assert "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
        assert time.time() - started < 60
    proc = vnsearch("index", corpus, "--index", ix)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    engine = Engine(ix)
    assert engine.count() == 8
    engine.close()


@pytest.mark.slow
def test_searching_keeps_working_while_an_index_run_commits(tmp_path, seed_dir):
    ix = tmp_path / "index"
    index_paths([seed_dir], ix, workers=1)
    corpus = make_corpus(tmp_path / "corpus", 300)
    engine = Engine(ix)
    errors, totals = [], []
    done = threading.Event()

    def searcher():
        while not done.is_set():
            try:
                r = engine.search("cán bộ", per_page=5)
                totals.append(r.total)
                assert len(r.hits) == 5
                assert sum(f.count for f in r.facets["year"]) <= r.total
            except Exception as e:  # noqa: BLE001 - any failure is the finding
                errors.append(repr(e))
        engine.close()

    threads = [threading.Thread(target=searcher) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        index_paths([corpus], ix, workers=1, batch_size=25)
        # Let the searchers see the last commit before they stop.
        deadline = time.time() + 30
        while (not totals or totals[-1] != 305) and time.time() < deadline:
            time.sleep(0.05)
    finally:
        done.set()
        for t in threads:
            t.join(60)
    assert errors == []
    assert len(totals) > 10
    assert max(totals) == engine.search("cán bộ").total == 305
    engine.close()


def vocab_counts(index_dir: Path) -> dict:
    """Every count of the vocabulary by syllable text (ids differ between builds)."""
    db = sqlite3.connect(index_dir / "vocab.sqlite")
    try:
        return {
            "syl": dict(db.execute("SELECT text, n FROM syl WHERE n != 0")),
            "bi": {
                (a, b): n
                for a, b, n in db.execute(
                    "SELECT sa.text, sb.text, bi.n FROM bi JOIN syl sa ON sa.id = bi.a "
                    "JOIN syl sb ON sb.id = bi.b"
                )
            },
            "meta": dict(
                db.execute("SELECT key, value FROM meta WHERE key IN ('documents', 'tokens')")
            ),
        }
    finally:
        db.close()


def toc_generation(index_dir: Path) -> int:
    """The latest commit's generation, from the file names only (cheap enough to poll)."""
    try:
        names = os.listdir(index_dir)
    except FileNotFoundError:
        return -1
    return max(
        (
            int(n[len("_MAIN_") : -len(".toc")])
            for n in names
            if n.startswith("_MAIN_") and n.endswith(".toc")
        ),
        default=-1,
    )


def varied_corpus(d: Path, n: int, seed: int) -> Path:
    """Small articles with varied syllables, so that missed or doubled counts show."""
    rng = random.Random(seed)
    d.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        body = ", ".join(" ".join(rng.choices(SYLLABLES, k=6)) for _ in range(4))
        (d / f"v{i:04d}.txt").write_text(
            f"Tin {i} về {rng.choice(SYLLABLES)} {rng.choice(SYLLABLES)}\n\n{body.capitalize()}.",
            "utf-8",
        )
    return d


@pytest.mark.slow
def test_kill_9_between_index_and_vocabulary_commits_is_repaired(tmp_path):
    corpus = varied_corpus(tmp_path / "corpus", 300, seed=7)
    ix = tmp_path / "index"
    rng = random.Random(11)
    drifted = 0
    for attempt in range(20):
        if drifted >= 2 or committed(ix) > 250:
            break
        proc = vnsearch("index", corpus, "--index", ix, "--batch-size", 2, "--workers", 1)
        # Kill right after a random index commit appears, or up to a few
        # milliseconds later: the window in which the vocabulary commit is due.
        target = toc_generation(ix) + rng.randint(1, 6)
        delay = rng.choice([0, 0, 0, 0.001, 0.003])
        deadline = time.time() + 120
        while toc_generation(ix) < target and time.time() < deadline and proc.poll() is None:
            time.sleep(0.0005)
        time.sleep(delay)
        if proc.poll() is not None:
            break
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
        from search.vocab import Vocabulary

        with Vocabulary(ix) as v:
            drifted += not v.matches(stamp(open_index(ix)))
    assert drifted, "no kill fell between the two commits"
    # The next run repairs whatever the kills left, then finishes the corpus.
    rerun = vnsearch("index", corpus, "--index", ix, "--batch-size", 50)
    _, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    assert Engine(ix).count() == 300
    scratch = tmp_path / "scratch"
    index_paths([corpus], scratch, workers=1)
    assert vocab_counts(ix) == vocab_counts(scratch)
    check = vnsearch("check", "--index", ix)
    assert check.communicate(timeout=300)[0].startswith("chỉ mục tốt:")
    assert check.returncode == 0
    print(f"{drifted} of the kills left the vocabulary behind the index")


@pytest.mark.slow
def test_vocabulary_drift_is_repaired_at_every_point_between_the_commits(tmp_path, seed_dir):
    # Deterministic companion of the random kills: the index committed, the
    # vocabulary not (as kill -9 right after the index commit leaves it).
    from search.backends.whoosh_writing import write_batches
    from search.ingest import prepare_article
    from search.parse import parse_record
    from search.readers import Record, Skipped, iter_files, read_records
    from search.vocab import Vocabulary

    corpus = varied_corpus(tmp_path / "corpus", 20, seed=3)
    ix = tmp_path / "index"
    index_paths([seed_dir], ix, workers=1)
    files = [f for f in iter_files([corpus]) if not isinstance(f, Skipped)]
    records = [r for f in files for r in read_records(f) if isinstance(r, Record)]
    items = [
        (p.article, p.words, {"prepared": p.fields, "fingerprint": p.fingerprint})
        for p in (prepare_article(parse_record(r)) for r in records[:10])
    ]
    for _ in write_batches(open_index(ix), items, batch_size=5):  # no vocabulary commits
        pass
    with Vocabulary(ix) as v:
        assert not v.matches(stamp(open_index(ix)))
    report = index_paths([seed_dir, corpus], ix, workers=1)
    assert report.note and "đã dựng lại từ vựng từ 15 bài đã lưu" in report.note
    assert report.indexed == 10
    scratch = tmp_path / "scratch"
    index_paths([seed_dir, corpus], scratch, workers=1)
    assert vocab_counts(ix) == vocab_counts(scratch)
