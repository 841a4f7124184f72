"""Load: requests/s and latency of ``vnsearch serve`` (waitress) under concurrent clients.

Starts ``python -m search serve --index DIR --port 0 --host 127.0.0.1`` (a free
loopback port, read from its start-up line), warms it up with one pass over a
sample of the query set, then runs ``clients`` threads for ``seconds``; each
keeps one HTTP/1.1 connection (``http.client``) and requests
``/search?q=…[&province=…]`` URLs of the ``bench queries`` set in a seeded
random order, reading the whole HTML page. Clients stop by themselves at the
deadline; the server is then stopped (SIGINT, then SIGTERM). The clients run
on the same 2 cores as the server, so they take some of its CPU.
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
from urllib.parse import urlencode

from bench import common


def _start_server(index: str, threads: int) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([common.PYTHON, "-m", "search", "serve", "--index", index,
                             "--host", "127.0.0.1", "--port", "0", "--threads", str(threads)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            cwd=common.ROOT)
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
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def bench_load(size: str = "20k", limit: int | None = None, seconds: float = 60,
               clients: int = 4, threads: int = 8, seed: int = 20250) -> dict:
    """Run the load test against the index of a corpus slice; write load-TAG.json."""
    from search.engine import open_engine

    from bench.queries import make_queries

    common.started(f"load-{common.tag(size, limit)}")
    index = common.index_dir(size, limit)
    eng = open_engine(index)
    urls = [_url(q) for q in make_queries(size, limit, 300, seed, eng)]
    eng.close()
    proc, port = _start_server(str(index), threads)
    try:
        for url in urls[:60]:  # warm-up: searcher, facet columns, templates
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            c.request("GET", url)
            c.getresponse().read()
            c.close()
        cpu0, t0 = _cpu_s(proc.pid), time.perf_counter()
        deadline = t0 + seconds
        results: list[list] = [[] for _ in range(clients)]
        workers = [threading.Thread(target=_client, args=(port, urls, seed + i, deadline,
                                                          results[i]))
                   for i in range(clients)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(seconds + 60)
        elapsed = time.perf_counter() - t0
        server_cpu = _cpu_s(proc.pid) - cpu0
        rss_mb = int(open(f"/proc/{proc.pid}/statm").read().split()[1]) * \
            os.sysconf("SC_PAGE_SIZE") / 2**20
    finally:
        _stop_server(proc)
    samples = [s for r in results for s in r]
    ok = [secs for secs, status in samples if status == 200]
    failures = [status for _, status in samples if status != 200]
    lat = common.summary_ms(ok)
    rps = len(ok) / elapsed
    figures = {
        "requests": len(samples), "ok": len(ok), "failures": len(failures),
        "failure_kinds": {str(k): failures.count(k) for k in set(failures)},
        "elapsed_s": round(elapsed, 1), "requests_per_s": round(rps, 1), "latency": lat,
        "server_cpu_s": round(server_cpu, 1),
        "server_cpu_cores_used": round(server_cpu / elapsed, 2),
        "server_rss_mb_after": round(rss_mb, 1),
        "targets": {"requests_per_s": common.verdict(rps, ">=", 50),
                    "p95_ms": common.verdict(lat["p95_ms"], "<=", 250),
                    "failures": common.verdict(len(failures), "<=", 0)},
    }
    print(f"  load: {rps:.1f} req/s, p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms, "
          f"failures {len(failures)}", flush=True)
    params = {"size": size, "limit": limit, "index": str(index), "seconds": seconds,
              "clients": clients, "waitress_threads": threads, "seed": seed,
              "urls": len(urls), "page": "/search (HTML)", "warmup_requests": 60}
    common.write_result(f"load-{common.tag(size, limit)}", params, figures)
    return figures
