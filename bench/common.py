"""Shared helpers of the benchmarks: paths, corpora, machine description, results, statistics."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("VNSEARCH_BENCH_DATA", "/work/shared/data"))
RESULTS = ROOT / "bench" / "results"
WORK = ROOT / "bench" / "work"  # git-ignored scratch: indexes, corpus subsets, profiles
PYTHON = sys.executable

CORPORA = {
    "20k": ["local-news-20k.jsonl.gz"],
    "100k": ["local-news-20k.jsonl.gz", "general-news-80k.jsonl.gz"],
}
SIZES = tuple(CORPORA)


def tag(size: str, limit: int | None = None) -> str:
    """The name of a corpus slice: ``20k``, ``100k`` or ``20k-2000`` (first 2,000 articles)."""
    return size if not limit else f"{size}-{limit}"


def corpus_paths(size: str, limit: int | None = None) -> list[Path]:
    """Input files of a corpus slice; a ``limit`` writes (once) its first N lines to WORK."""
    paths = [DATA / name for name in CORPORA[size]]
    if not limit:
        return paths
    out = WORK / "corpus" / f"{tag(size, limit)}.jsonl.gz"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        n = 0
        with gzip.open(tmp, "wb", compresslevel=1) as dst:
            for p in paths:
                with gzip.open(p, "rb") as src:
                    for line in src:
                        if n >= limit:
                            break
                        if line.strip():
                            dst.write(line)
                            n += 1
        tmp.rename(out)
    return [out]


def read_jsonl(paths: Iterable[Path]) -> Iterator[dict]:
    """Records of gzip JSON Lines files, read in place."""
    for p in paths:
        with gzip.open(p, "rt", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)


def index_dir(size: str, limit: int | None = None, kind: str = "vnsearch") -> Path:
    """Where the benchmark keeps the index of a corpus slice (kind: vnsearch or baseline)."""
    return WORK / f"{kind}-{tag(size, limit)}"


def fresh_dir(path: Path) -> Path:
    """An empty folder at ``path`` (removing an old benchmark index there)."""
    if path.exists():
        assert WORK in path.parents, path  # never remove anything outside bench/work
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def dir_size(path: Path) -> int:
    """Bytes of every file under ``path``."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def _pkg(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine() -> dict:
    """The machine, software versions, date and commit a result was measured with."""
    cpu = re.search(r"^model name\s*:\s*(.*)$", _read("/proc/cpuinfo"), re.MULTILINE)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", _read("/proc/meminfo"), re.MULTILINE)
    try:
        commit = (
            subprocess.run(
                ["git", "rev-parse", "HEAD"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
            or None
        )
    except OSError:
        commit = None
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_commit": commit,
        "nproc": os.cpu_count(),
        "cpu": cpu.group(1).strip() if cpu else platform.processor(),
        "ram_gb": round(int(mem.group(1)) / 2**20, 1) if mem else None,
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {
            k: _pkg(k) for k in ("Whoosh", "pyvi", "numpy", "Flask", "waitress", "vnsearch")
        },
    }


_STARTED: dict = {}


def started(name: str) -> None:
    """Note the machine, commit and date as a benchmark starts (recorded by write_result)."""
    _STARTED[name] = machine()


def write_result(name: str, params: dict, figures: dict) -> Path:
    """Write ``bench/results/NAME.json`` with machine (at start), parameters and figures."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}.json"
    now = machine()
    info = _STARTED.pop(name, None) or now
    info["finished"] = now["date"]
    info["git_commit_at_end"] = now["git_commit"]
    doc = {"benchmark": name, "machine": info, "params": params, **figures}
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"wrote {out.relative_to(ROOT)}", flush=True)
    return out


def load_result(name: str) -> dict | None:
    """A results file written earlier, or None."""
    p = RESULTS / f"{name}.json"
    return json.loads(p.read_text("utf-8")) if p.exists() else None


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) by linear interpolation."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summary_ms(seconds: list[float]) -> dict:
    """p50/p95/p99/mean/max of latencies given in seconds, in milliseconds."""
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "mean_ms": round(sum(ms) / len(ms), 2) if ms else None,
        "max_ms": round(max(ms), 2) if ms else None,
    }


def verdict(value: float, op: str, target: float) -> dict:
    """A target check: the value, the target and whether it is met."""
    met = value <= target if op == "<=" else value >= target
    return {"value": round(value, 4), "target": f"{op} {target}", "met": bool(met)}
