"""Load: requests/s and latency of ``vnsearch serve`` under concurrent clients.

Starts ``python -m search serve --index DIR --port 0 --host 127.0.0.1`` (a free
loopback port, read from its start-up line), warms it up with one pass over a
sample of the query set, then runs ``clients`` threads for ``seconds``; each
keeps one HTTP/1.1 connection (``http.client``) and requests
``/search?q=…[&province=…]`` URLs of the ``bench queries`` set in a seeded
random order, reading the whole HTML page. Clients stop by themselves at the
deadline; the server is then stopped (SIGINT, then SIGTERM). The clients run
on the same 2 cores as the server, so they take some of its CPU.

``processes`` is passed to ``vnsearch serve --processes`` (default: the number of
CPUs, as the server's own default). Server CPU is summed over the process tree
(the supervising parent and its workers); memory is sampled every ``SAMPLE_S``
seconds during the run: the peak of RSS (and PSS) summed over the tree, and the
split of the final RSS into anonymous and file-backed pages.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from bench import common
from bench.ingest import _rss_pss, _tree

SAMPLE_S = 0.5


def _start_server(index: str, threads: int, processes: int) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [
            common.PYTHON,
            "-m",
            "search",
            "serve",
            "--index",
            index,
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--threads",
            str(threads),
            "--processes",
            str(processes),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=common.ROOT,
    )
    assert proc.stderr is not None  # stderr=PIPE
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stderr.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line or "")
        if m:
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep draining
            return proc, int(m.group(1))
        if proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError("vnsearch serve did not start")


def _stop_server(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.terminate()
        proc.wait(10)


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of one process, 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_busy_s() -> float:
    """CPU seconds all CPUs of the machine spent busy (not idle or iowait) since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _self_cpu_s() -> float:
    """CPU seconds of this process (the clients)."""
    t = os.times()
    return t.user + t.system


def _tree_cpu_s(pid: int) -> dict[int, float]:
    """CPU seconds of every process of the tree under ``pid``."""
    return {p: _cpu_s(p) for p in _tree(pid)}


def _rss_split_mb(pid: int) -> dict[str, float]:
    """RssAnon, RssFile and RssShmem of one process, in MB."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("RssAnon:", "RssFile:", "RssShmem:")):
                key, kb = line.split()[:2]
                out[key[:-1]] = int(kb) / 1024
    except OSError:
        pass
    return out


class _MemorySampler(threading.Thread):
    """Peak RSS and PSS summed over the server's process tree, sampled until stopped."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.stop = pid, threading.Event()
        self.peak_rss = self.peak_pss = 0

    def sample(self) -> None:
        """One sample of the tree (the peaks only go up)."""
        sizes = [_rss_pss(p) for p in _tree(self.pid)]
        self.peak_rss = max(self.peak_rss, sum(s[0] for s in sizes))
        self.peak_pss = max(self.peak_pss, sum(s[1] for s in sizes))

    def run(self) -> None:
        while not self.stop.wait(SAMPLE_S):
            self.sample()


def _url(item: dict) -> str:
    args = [("q", item["q"])] + ([("province", item["province"])] if item["province"] else [])
    return "/search?" + urlencode(args)


def _client(port: int, urls: list[str], seed: int, deadline: float, out: list) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.perf_counter() < deadline:
        url = rng.choice(urls)
        t0 = time.perf_counter()
        try:
            conn.request("GET", url)
            resp = conn.getresponse()
            resp.read()
            out.append((time.perf_counter() - t0, resp.status))
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        except (OSError, http.client.HTTPException) as e:
            out.append((time.perf_counter() - t0, type(e).__name__))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()


def bench_load(
    size: str = "20k",
    limit: int | None = None,
    seconds: float = 60,
    clients: int = 4,
    threads: int = 8,
    seed: int = 20250,
    processes: int | None = None,
) -> dict:
    """Run the load test against the index of a corpus slice; write load-TAG.json."""
    from bench.queries import make_queries
    from search.engine import open_engine
    from web.cli import cpus, has_gunicorn

    common.started(f"load-{common.tag(size, limit)}")
    index = common.index_dir(size, limit)
    eng = open_engine(index)
    urls = [_url(q) for q in make_queries(size, limit, 300, seed, eng)]
    eng.close()
    if processes is None:
        processes = cpus()
    if not has_gunicorn():
        processes = 1
    proc, port = _start_server(str(index), threads, processes)
    try:
        for url in urls[:60]:  # warm-up: searcher, facet columns, templates
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            c.request("GET", url)
            c.getresponse().read()
            c.close()
        busy0, client0 = _machine_busy_s(), _self_cpu_s()
        cpu0, t0 = _tree_cpu_s(proc.pid), time.perf_counter()
        memory = _MemorySampler(proc.pid)
        memory.sample()
        memory.start()
        deadline = t0 + seconds
        results: list[list] = [[] for _ in range(clients)]
        workers = [
            threading.Thread(target=_client, args=(port, urls, seed + i, deadline, results[i]))
            for i in range(clients)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join(seconds + 60)
        elapsed = time.perf_counter() - t0
        memory.stop.set()
        memory.join()
        memory.sample()
        cpu1 = _tree_cpu_s(proc.pid)
        busy, client_cpu = _machine_busy_s() - busy0, _self_cpu_s() - client0
        # Per process too, so that an idle or saturated worker shows.
        per_process = {pid: round(cpu1[pid] - cpu0.get(pid, 0.0), 1) for pid in cpu1}
        server_cpu = sum(per_process.values())
        pids = _tree(proc.pid)
        sizes = [_rss_pss(p) for p in pids]
        splits = [_rss_split_mb(p) for p in pids]
    finally:
        _stop_server(proc)
    samples = [s for r in results for s in r]
    ok = [secs for secs, status in samples if status == 200]
    failures = [status for _, status in samples if status != 200]
    lat = common.summary_ms(ok)
    rps = len(ok) / elapsed
    figures = {
        "requests": len(samples),
        "ok": len(ok),
        "failures": len(failures),
        "failure_kinds": {str(k): failures.count(k) for k in set(failures)},
        "elapsed_s": round(elapsed, 1),
        "requests_per_s": round(rps, 1),
        "latency": lat,
        "server_processes": len(pids),
        "server_cpu_s": round(server_cpu, 1),
        "server_cpu_cores_used": round(server_cpu / elapsed, 2),
        "server_cpu_s_per_process": list(per_process.values()),
        "client_cpu_cores_used": round(client_cpu / elapsed, 2),
        # Anything else running on the machine meanwhile (a shared box skews the figures).
        "other_cpu_cores_used": round(max(0.0, busy - server_cpu - client_cpu) / elapsed, 2),
        "server_rss_mb_after": round(sum(s[0] for s in sizes) / 2**20, 1),
        "server_rss_mb_after_per_process": [round(s[0] / 2**20, 1) for s in sizes],
        "server_rss_anon_mb_after": round(sum(s.get("RssAnon", 0) for s in splits), 1),
        "server_rss_file_mb_after": round(sum(s.get("RssFile", 0) for s in splits), 1),
        "server_peak_tree_rss_mb": round(memory.peak_rss / 2**20, 1),
        "server_peak_tree_pss_mb": round(memory.peak_pss / 2**20, 1),
        "targets": {
            "requests_per_s": common.verdict(rps, ">=", 50),
            "p95_ms": common.verdict(lat["p95_ms"], "<=", 250),
            "failures": common.verdict(len(failures), "<=", 0),
        },
    }
    print(
        f"  load: {rps:.1f} req/s, p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms, "
        f"failures {len(failures)}, server CPU {figures['server_cpu_cores_used']} cores, "
        f"peak tree RSS {figures['server_peak_tree_rss_mb']} MB",
        flush=True,
    )
    params = {
        "size": size,
        "limit": limit,
        "index": str(index),
        "seconds": seconds,
        "clients": clients,
        "waitress_threads": threads,
        "processes": processes,
        "seed": seed,
        "urls": len(urls),
        "page": "/search (HTML)",
        "warmup_requests": 60,
    }
    common.write_result(f"load-{common.tag(size, limit)}", params, figures)
    return figures
