"""Servers of ``bench backends``: ``xapian-tcpsrv`` per shard, and ``vnsearch serve`` under load."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from bench import common


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ShardServers:
    """``xapian-tcpsrv`` serving each shard of an index on 127.0.0.1 (a context manager)."""

    def __init__(self, index: Path):
        self.index = index
        self.procs: list[subprocess.Popen] = []
        self.urls: list[str] = []

    def __enter__(self):
        meta = json.loads((self.index / "vnsearch.json").read_text("utf-8"))
        for k in range(int(meta["shards"])):
            port = _free_port()
            cmd = [
                "xapian-tcpsrv",
                "--interface",
                "127.0.0.1",
                "--port",
                str(port),
                str(self.index / "shards" / str(k)),
            ]
            # Its own session: on SIGTERM it signals its whole process group.
            self.procs.append(
                subprocess.Popen(
                    cmd,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
            deadline = time.time() + 20
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), 1).close()
                    break
                except OSError:
                    if time.time() > deadline or self.procs[-1].poll() is not None:
                        self.__exit__()
                        raise RuntimeError(f"xapian-tcpsrv did not start on port {port}")
                    time.sleep(0.1)
            self.urls.append(f"tcp://127.0.0.1:{port}")
        return self

    def cpu_s(self) -> float:
        """CPU seconds of the servers and their connection processes."""
        from bench.load import _tree_cpu_s

        return sum(sum(_tree_cpu_s(p.pid).values()) for p in self.procs)

    def __exit__(self, *exc) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(10)


def serve_rps(index: Path, queries: list[dict], seconds: float, clients: int, extra=()) -> dict:
    """Requests/s of ``vnsearch serve`` (default processes and threads) on /search pages."""
    import http.client
    import re

    from bench.load import _client, _url

    cmd = [
        common.PYTHON,
        "-m",
        "search",
        "serve",
        "--index",
        str(index),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        *extra,
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=common.ROOT
    )
    stderr = proc.stderr
    assert stderr is not None
    port, deadline = None, time.time() + 90
    while port is None and time.time() < deadline and proc.poll() is None:
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", stderr.readline() or "")
        port = int(m.group(1)) if m else None
    if port is None:
        proc.kill()
        return {"error": "vnsearch serve did not start", "command": cmd}
    threading.Thread(target=stderr.read, daemon=True).start()
    urls = [_url(q) for q in queries]
    try:
        for url in urls[:30]:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            c.request("GET", url)
            c.getresponse().read()
            c.close()
        results: list[list] = [[] for _ in range(clients)]
        t0 = time.perf_counter()
        threads = [
            threading.Thread(target=_client, args=(port, urls, 20250 + i, t0 + seconds, results[i]))
            for i in range(clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(seconds + 60)
        elapsed = time.perf_counter() - t0
    finally:
        stop(proc)
    ok = [s for r in results for s, status in r if status == 200]
    lat = common.summary_ms(ok)
    return {
        "requests_per_s": round(len(ok) / elapsed, 1),
        "ok": len(ok),
        "failures": sum(len(r) for r in results) - len(ok),
        "p50_ms": lat["p50_ms"],
        "p95_ms": lat["p95_ms"],
        "seconds": seconds,
        "clients": clients,
        "command": " ".join(cmd[2:]),
    }


def serve_accepts(option: str) -> bool:
    """True when ``vnsearch serve --help`` lists ``option``."""
    out = subprocess.run(
        [common.PYTHON, "-m", "search", "serve", "--help"],
        capture_output=True,
        text=True,
        cwd=common.ROOT,
        check=False,
    )
    return option in out.stdout


def stop(proc: subprocess.Popen) -> None:
    """Stop a server and its workers: SIGINT, then SIGTERM, then SIGKILL of its tree."""
    from bench.ingest import _tree

    for sig in (signal.SIGINT, signal.SIGTERM):
        proc.send_signal(sig)
        try:
            proc.wait(30)
            return
        except subprocess.TimeoutExpired:
            pass
    for pid in reversed(_tree(proc.pid)):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(10)
