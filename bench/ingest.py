"""Ingest benchmark: end-to-end ``vnsearch index`` against a plain Whoosh baseline, same run.

Both run as subprocesses (``python -m search index …`` and ``python -m bench.ingest
--baseline-child …``) whose whole process tree is sampled from /proc every
``SAMPLE_S`` seconds (RSS and PSS summed over the tree: the vnsearch run has a
pool of worker processes), next to ``getrusage(RUSAGE_CHILDREN).ru_maxrss``
(the largest single process). Wall time includes interpreter start-up.

Baseline: Whoosh 2.7.4, one process, schema ``id=ID(stored=True, unique=True)``,
``title`` and ``body`` ``TEXT(analyzer=StandardAnalyzer())`` (not stored),
``add_document`` per article, a new writer committed every 500 articles and at
the end (the same batch size as ``vnsearch index``'s default).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

SAMPLE_S = 0.2
BASELINE_BATCH = 500
PAGE = os.sysconf("SC_PAGE_SIZE")


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def _tree(pid: int) -> list[int]:
    kids, out, todo = _children_map(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def _rss_pss(pid: int) -> tuple[int, int, int]:
    """(RSS, PSS, anonymous memory) of one process, in bytes.

    RSS also counts the pages of files the process maps (Whoosh maps index
    segments when reading); anonymous memory is what the process allocated.
    """
    try:
        rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0, 0, 0
    pss, anon = rss, rss
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) * 1024
            elif line.startswith("Anonymous:"):
                anon = int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return rss, pss, anon


def run_measured(cmd: list[str], env: dict | None = None) -> dict:
    """Run ``cmd``; wall time, peak tree RSS/PSS, peak main RSS, max child maxrss, output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=common.ROOT,
        env={**os.environ, **(env or {})},
    )
    peak_tree = peak_pss = peak_anon = peak_main = max_procs = 0
    import threading

    out: dict = {}
    reader = threading.Thread(
        target=lambda: out.update(zip(("stdout", "stderr"), proc.communicate()))
    )
    reader.start()
    while reader.is_alive():
        pids = _tree(proc.pid)
        sizes = [_rss_pss(p) for p in pids]
        peak_tree = max(peak_tree, sum(s[0] for s in sizes))
        peak_pss = max(peak_pss, sum(s[1] for s in sizes))
        peak_anon = max(peak_anon, sum(s[2] for s in sizes))
        peak_main = max(peak_main, sizes[0][0] if sizes else 0)
        max_procs = max(max_procs, len(pids))
        reader.join(SAMPLE_S)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    mb = 2**20
    return {
        "wall_s": round(wall, 2),
        "returncode": proc.returncode,
        "peak_tree_rss_mb": round(peak_tree / mb, 1),
        "peak_tree_pss_mb": round(peak_pss / mb, 1),
        "peak_tree_anon_mb": round(peak_anon / mb, 1),
        "peak_main_rss_mb": round(peak_main / mb, 1),
        "max_single_process_maxrss_mb": round(after.ru_maxrss / 1024, 1),
        "processes_in_tree": max_procs,
        "cpu_user_s": round(after.ru_utime - before.ru_utime, 1),
        "cpu_sys_s": round(after.ru_stime - before.ru_stime, 1),
        "stdout": out.get("stdout", ""),
        "stderr": out.get("stderr", "")[-2000:],
    }


def corpus_stats(paths: list[Path]) -> dict:
    """Articles, title+body UTF-8 bytes, uncompressed JSON bytes of the inputs."""
    n = text = raw = 0
    for rec in common.read_jsonl(paths):
        n += 1
        text += len(((rec.get("title") or "") + "\n" + (rec.get("body") or "")).encode())
        raw += len(json.dumps(rec, ensure_ascii=False).encode())
    return {
        "articles": n,
        "text_mb": round(text / 2**20, 2),
        "json_mb": round(raw / 2**20, 2),
        "gz_mb": round(sum(p.stat().st_size for p in paths) / 2**20, 2),
    }


def _figures(run: dict, stats: dict, index: Path, articles: int) -> dict:
    size = common.dir_size(index)
    wall = run["wall_s"]
    return {
        **{k: v for k, v in run.items() if k not in ("stdout",)},
        "articles_per_s": round(articles / wall, 1),
        "text_mb_per_s": round(stats["text_mb"] / wall, 3),
        "index_mb": round(size / 2**20, 1),
        "index_over_text": round(size / 2**20 / stats["text_mb"], 3),
    }


def bench_ingest(
    size: str, limit: int | None, workers: int | None, batch_size: int, baseline: bool = True
) -> dict:
    """Index one corpus slice with vnsearch and the baseline; write ingest-TAG.json."""
    common.started(f"ingest-{common.tag(size, limit)}")
    paths = common.corpus_paths(size, limit)
    stats = corpus_stats(paths)
    print(f"ingest {common.tag(size, limit)}: {stats}", flush=True)
    vdir = common.fresh_dir(common.index_dir(size, limit))
    cmd = [
        common.PYTHON,
        "-m",
        "search",
        "index",
        *map(str, paths),
        "--index",
        str(vdir),
        "--json",
        "--batch-size",
        str(batch_size),
    ]
    if workers:
        cmd += ["--workers", str(workers)]
    run = run_measured(cmd)
    try:
        report = json.loads(run["stdout"])
        report = {k: (len(v) if k == "skipped" else v) for k, v in report.items()}
    except ValueError:
        report = {"error": run["stderr"]}
    vn = _figures(run, stats, vdir, stats["articles"])
    vn["report"] = report
    vn["index_mb_whoosh_only"] = round(
        sum(
            f.stat().st_size
            for f in vdir.iterdir()
            if f.is_file() and not f.name.startswith("vocab")
        )
        / 2**20,
        1,
    )
    print(
        f"  vnsearch: {vn['wall_s']} s, {vn['articles_per_s']} art/s, "
        f"tree RSS {vn['peak_tree_rss_mb']} MB, index {vn['index_mb']} MB, {report}",
        flush=True,
    )
    figures: dict[str, Any] = {"corpus": stats, "vnsearch": vn}
    if baseline:
        bdir = common.fresh_dir(common.index_dir(size, limit, "baseline"))
        brun = run_measured(
            [common.PYTHON, "-m", "bench.ingest", "--baseline-child", str(bdir), *map(str, paths)]
        )
        bl = _figures(brun, stats, bdir, stats["articles"])
        print(
            f"  baseline: {bl['wall_s']} s, {bl['articles_per_s']} art/s, "
            f"RSS {bl['peak_tree_rss_mb']} MB, index {bl['index_mb']} MB",
            flush=True,
        )
        figures["baseline"] = bl
        figures["ratio_throughput_vs_baseline"] = round(
            vn["articles_per_s"] / bl["articles_per_s"], 3
        )
        figures["ratio_index_size_vs_baseline"] = round(vn["index_mb"] / bl["index_mb"], 3)
    targets = {
        "index_over_text": common.verdict(vn["index_over_text"], "<=", 1.5),
        "peak_tree_rss_gb": common.verdict(vn["peak_tree_rss_mb"] / 1024, "<=", 1.0),
    }
    if baseline:
        targets["throughput_vs_baseline"] = common.verdict(
            figures["ratio_throughput_vs_baseline"], ">=", 1.0
        )
    if size == "100k" and not limit:
        targets["minutes_100k"] = common.verdict(vn["wall_s"] / 60, "<=", 15)
    figures["targets"] = targets
    params = {
        "size": size,
        "limit": limit,
        "inputs": [str(p) for p in paths],
        "workers": workers or os.cpu_count(),
        "batch_size": batch_size,
        "baseline": {
            "schema": "id=ID(stored,unique), title/body=TEXT(StandardAnalyzer)",
            "commit_every": BASELINE_BATCH,
            "processes": 1,
        }
        if baseline
        else None,
        "sample_interval_s": SAMPLE_S,
    }
    common.write_result(f"ingest-{common.tag(size, limit)}", params, figures)
    return figures


def baseline_child(out_dir: str, paths: list[str]) -> None:
    """The baseline indexer (run in its own process)."""
    from whoosh import index
    from whoosh.analysis import StandardAnalyzer
    from whoosh.fields import ID, TEXT, Schema

    schema = Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=StandardAnalyzer()),
        body=TEXT(analyzer=StandardAnalyzer()),
    )
    ix = index.create_in(out_dir, schema)
    writer, pending = ix.writer(), 0
    for rec in common.read_jsonl(map(Path, paths)):
        writer.add_document(
            id=str(rec["id"]), title=rec.get("title") or "", body=rec.get("body") or ""
        )
        pending += 1
        if pending >= BASELINE_BATCH:
            writer.commit()
            writer, pending = ix.writer(), 0
    writer.commit()


if __name__ == "__main__" and sys.argv[1:2] == ["--baseline-child"]:
    baseline_child(sys.argv[2], sys.argv[3:])
