"""Crashes and concurrency with real processes: kill -9, two writers, search during commits."""
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from search.engine import Engine
from search.index import open_index
from search.ingest import index_paths

N_ARTICLES = 1200


def make_corpus(d: Path, n: int) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (d / f"a{i:05d}.txt").write_text(
            f"Tin số {i} của xã Mường Luân\n\nUBND xã họp bàn về cán bộ, mã riêng zq{i:05d}.",
            "utf-8")
    return d


def vnsearch(*args, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "search", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def committed(index_dir: Path) -> int:
    try:
        with open_index(index_dir).searcher() as s:
            return s.doc_count()
    except Exception:
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
    writer = open_index(ix).writer()  # holds the lock, as a running `vnsearch index` would
    try:
        started = time.time()
        proc = vnsearch("index", corpus, "--index", ix, "--wait", 1)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2
        assert "another `vnsearch index` is writing" in err
        assert "Traceback" not in err
        assert time.time() - started < 60
    finally:
        writer.cancel()
    proc = vnsearch("index", corpus, "--index", ix)
    out, err = proc.communicate(timeout=120)
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
