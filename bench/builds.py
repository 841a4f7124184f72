"""The builds of ``bench backends``: each index built by a measured child process, its size
on disk (and, for Xapian, per table and once compacted), and a copy of a Xapian index
placed into N shards by the backend's own ``shard_of``."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from bench import common
from bench.ingest import _rss_pss, _tree

PLAIN = ("whoosh", "tantivy", "sqlite")


def work() -> Path:
    """bench/work/backends: every index and profile of ``bench backends``."""
    return common.WORK / "backends"


def measure(cmd: list[str]) -> dict:
    """Run ``cmd`` as a child: wall time, ru_maxrss (wait4), peak tree RSS, CPU time."""
    out = work() / "child.out"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w") as f:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=common.ROOT)
        peak_tree = 0
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak_tree = max(peak_tree, sum(_rss_pss(p)[0] for p in _tree(proc.pid)))
            time.sleep(0.2)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = out.read_text(errors="replace")
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd[:6])} … failed ({proc.returncode}): {text[-1500:]}")
    return {
        "wall_s": round(wall, 2),
        "maxrss_mb": round(ru.ru_maxrss / 1024, 1),
        "peak_tree_rss_mb": round(peak_tree / 2**20, 1),
        "cpu_s": round(ru.ru_utime + ru.ru_stime, 1),
        "output": text[-400:],
    }


def index_size(path: Path) -> dict:
    """MB on disk of an index folder, and without the vocabulary (vnsearch's suggester)."""
    files = [f for f in Path(path).rglob("*") if f.is_file() and "LOCK" not in f.name.upper()]
    total = sum(f.stat().st_size for f in files)
    vocab = sum(f.stat().st_size for f in files if f.name.startswith("vocab"))
    return {
        "index_mb": round(total / 2**20, 1),
        "index_mb_without_vocab": round((total - vocab) / 2**20, 1),
    }


def build(
    system: str, paths: list[Path], out: Path, provinces: Path, text_mb: float, n: int
) -> dict:
    """Build ``system``'s index of ``paths`` into ``out`` (a fresh folder); its figures."""
    common.fresh_dir(out)
    if system in PLAIN:
        cmd = [common.PYTHON, "-m", "bench.plain", "--build", system, str(out), str(provinces)]
    else:
        cmd = [common.PYTHON, "-m", "search", "index", "--index", str(out), "--json"]
        if system == "vn-xapian":
            cmd += ["--backend", "xapian"]
    load = [round(x, 2) for x in os.getloadavg()]
    run = measure(cmd + [str(p) for p in paths])
    size = index_size(out)
    fig = {
        **{k: v for k, v in run.items() if k != "output"},
        "articles": n,
        "articles_per_s": round(n / run["wall_s"], 1),
        **size,
        "index_over_text": round(size["index_mb"] / text_mb, 3),
        "loadavg_at_start": load,
    }
    print(
        f"  built {system:<18} {n} articles: {fig['articles_per_s']} art/s, "
        f"maxrss {fig['maxrss_mb']} MB, tree {fig['peak_tree_rss_mb']} MB, "
        f"index {fig['index_mb']} MB ({fig['index_over_text']}x text)",
        flush=True,
    )
    return fig


def xapian_sizes(index: Path, out: Path, text_mb: float) -> dict:
    """Where a Xapian index's bytes go (MB per glass table), and its size once every shard
    is compacted by ``xapian-compact`` into ``out`` (the time that takes)."""
    meta = json.loads((index / "vnsearch.json").read_text("utf-8"))
    shards = [index / "shards" / str(k) for k in range(int(meta.get("shards", 1)))]
    tables: dict[str, float] = {}
    for shard in shards:
        for f in shard.glob("*.glass"):
            tables[f.stem] = tables.get(f.stem, 0) + f.stat().st_size / 2**20
    common.fresh_dir(out)
    t0 = time.perf_counter()
    for k, shard in enumerate(shards):
        subprocess.run(
            ["xapian-compact", str(shard), str(out / str(k))],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    compact_s = time.perf_counter() - t0
    rest = index_size(index)["index_mb"] - sum(tables.values())  # vocabulary, metadata
    compacted = common.dir_size(out) / 2**20 + rest
    return {
        "tables_mb": {k: round(v, 1) for k, v in sorted(tables.items())},
        "other_files_mb": round(rest, 1),
        "index_mb_compacted": round(compacted, 1),
        "index_over_text_compacted": round(compacted / text_mb, 3),
        "compact_s": round(compact_s, 1),
    }


def reshard(src: Path, out: Path, shards: int) -> Path:
    """A copy of the Xapian index ``src`` whose documents sit in ``shards`` databases
    (``vnsearch reshard``); reused while ``src`` is unchanged."""
    import xapian

    from search.backends.xapian import SHARDS_DIR
    from search.upkeep import reshard_index

    meta = json.loads((src / "vnsearch.json").read_text("utf-8"))
    sources = [
        xapian.Database(str(src / SHARDS_DIR / str(k))) for k in range(int(meta.get("shards", 1)))
    ]
    stamp = {
        "src": str(src),
        "shards": shards,
        "revisions": [int(db.get_revision()) for db in sources],
        "documents": sum(int(db.get_doccount()) for db in sources),
    }
    marker = out / "resharded-from.json"
    if marker.exists() and json.loads(marker.read_text("utf-8")) == stamp:
        return out
    common.fresh_dir(out)
    reshard_index(src, out, shards)
    marker.write_text(json.dumps(stamp), "utf-8")
    return out
