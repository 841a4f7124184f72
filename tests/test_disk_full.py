"""A full disk while indexing: one line, exit 2, no partial files, the last commit intact.

Runs on a small tmpfs mounted by the test (root only); skipped with the reason
where mounting is not allowed.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import big_corpus

from search.backends.whoosh_index import open_index, read_toc
from search.check import check_index
from search.cli import cli
from search.engine import Engine

DISK_KB = 1200


@pytest.fixture
def small_disk(tmp_path):
    """A freshly mounted tmpfs of DISK_KB kilobytes, unmounted afterwards."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    d = tmp_path / "disk"
    d.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_KB}k", "tmpfs", str(d)],
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield d
    finally:
        subprocess.run(["umount", "-l", str(d)], capture_output=True, check=False)


def index_files(ix: Path) -> set[str]:
    """Files of the index folder that are not the committed index and its own files."""
    toc = read_toc(open_index(ix).storage)
    used = {f"{s.segment_id()}.seg" for s in toc.segments} | {f"_MAIN_{toc.generation}.toc"}
    known = {
        "vnsearch.json",
        "vocab.sqlite",
        "vocab.sqlite-wal",
        "vocab.sqlite-shm",
        "MAIN_WRITELOCK",
        ".vnsearch-write.lock",
        "last-run.json",
    }
    return {p.name for p in ix.iterdir()} - used - known


@pytest.mark.slow
@pytest.mark.parametrize("rebuild", [False, True], ids=["index", "rebuild"])
def test_disk_full_keeps_the_last_commit(small_disk, tmp_path, seed_dir, runner, rebuild):
    ix = small_disk / "index"
    result = runner.invoke(cli, ["index", str(seed_dir), "--index", str(ix), "--workers", "1"])
    assert result.exit_code == 0, result.output
    corpus = big_corpus(tmp_path / "big", 300)

    args = ["index", str(corpus), "--index", str(ix), "--workers", "1", "--batch-size", "40"]
    result = runner.invoke(cli, args + (["--rebuild"] if rebuild else []))
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert "ổ đĩa đã đầy" in lines[0] or "database or disk is full" in lines[0]

    assert index_files(ix) == set()  # no partial segment or temporary file
    assert not [p for p in small_disk.iterdir() if p.name.startswith(".index.rebuild-")]
    engine = Engine(ix)
    count = engine.count()
    assert count == 5 if rebuild else (count - 5) % 40 == 0  # whole batches only
    assert engine.article("000_5bb86f784192a000").title
    engine.close_all()
    report = check_index(ix)
    assert all(f.code == "vocabulary" for f in report.findings if f.damage), report

    # With room again, the next run completes and repairs what is behind.
    subprocess.run(["mount", "-o", "remount,size=40m", str(small_disk)], check=True)
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert check_index(ix).healthy
    engine = Engine(ix)
    assert engine.count() == 305
    engine.close_all()


def test_a_full_disk_while_compacting_keeps_the_shard(small_disk, seed_dir, runner):
    pytest.importorskip("xapian", reason="the xapian extra is not installed")
    ix = small_disk / "index"
    args = ["index", str(seed_dir), "--index", str(ix), "--workers", "1", "--backend", "xapian"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    before = Engine(ix)
    answer = [h.id for h in before.search("cán bộ").hits]
    before.close_all()
    # Leave less room than the compacted copy needs.
    free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    (small_disk / "filler").write_bytes(b"\0" * max(0, free - 16 * 1024))
    result = runner.invoke(cli, ["compact", "--index", str(ix)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert "không nén được shard" in lines[0] and "shard được giữ nguyên" in lines[0]
    assert sorted(p.name for p in (ix / "shards").iterdir()) == ["0"]  # no half copy left
    engine = Engine(ix)
    assert [h.id for h in engine.search("cán bộ").hits] == answer
    engine.close_all()
    assert check_index(ix).healthy
    (small_disk / "filler").unlink()
    result = runner.invoke(cli, ["compact", "--index", str(ix)])
    assert result.exit_code == 0, result.output


def test_a_full_disk_after_a_bulk_run_keeps_its_articles(small_disk, tmp_path, runner):
    # The articles of a bulk run are committed before it compacts the index:
    # when there is no room for the compacted copy, the run says so and succeeds.
    pytest.importorskip("xapian", reason="the xapian extra is not installed")
    from search.ingest import index_paths
    from search.upkeep import folder_bytes

    corpus = big_corpus(tmp_path / "corpus", 240)
    measured = tmp_path / "measured"
    index_paths([corpus], measured, workers=1, backend="xapian", compact=False)
    written = folder_bytes(measured)
    subprocess.run(["mount", "-o", "remount,size=16m", str(small_disk)], check=True)
    # Room for the run (and a third more), not for a compacted copy beside it.
    free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    (small_disk / "filler").write_bytes(b"\0" * max(0, free - written * 4 // 3))
    ix = small_disk / "index"
    args = ["index", str(corpus), "--index", str(ix), "--workers", "1", "--backend", "xapian"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output, result.output
    assert "chưa nén được chỉ mục" in result.output and "vnsearch compact" in result.output
    assert "đã lập chỉ mục 240" in result.output
    assert sorted(p.name for p in (ix / "shards").iterdir()) == ["0"]  # no half copy left
    (small_disk / "filler").unlink()  # SQLite opens the vocabulary with room to write
    report = check_index(ix)
    assert report.healthy, (result.output, report.findings)
    engine = Engine(ix)
    assert engine.count() == 240 and len(engine.match_ids("zq00123")) == 1
    engine.close_all()
