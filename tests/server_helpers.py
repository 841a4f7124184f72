"""Helpers for tests that talk to a real `vnsearch serve` (gunicorn or waitress) over loopback.

``Server`` starts ``python -m search serve --port 0`` on 127.0.0.1, reads the port it
chose from its first line on stderr, and always stops it. ``raw_request`` sends a
hand-built request (bytes, so anything a crawler or an attacker could send) and
parses the answer with :mod:`http.client`.
"""

from __future__ import annotations

import http.client
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Self

HOST = "127.0.0.1"
# The start-up line: the port chosen, and "(N tiến trình × M luồng; Ctrl+C để dừng)".
LISTENING = re.compile(
    r"^vnsearch: đang phục vụ .* tại http://127\.0\.0\.1:(\d+)/ \((.*)\)$", re.MULTILINE
)
# With several processes: their number, and the line of each gunicorn worker once it is up.
WORKERS = re.compile(r"(\d+) tiến trình × ")
READY = re.compile(r"\] vnsearch: worker \d+ ready$", re.MULTILINE)


class Server:
    """`vnsearch serve` over ``index_dir`` in a subprocess (a context manager)."""

    def __init__(
        self,
        index_dir: Path,
        log: Path,
        threads: int = 8,
        processes: int | None = None,
        options: tuple[str, ...] = (),
    ):
        self.args = [
            sys.executable,
            "-m",
            "search",
            "serve",
            "--index",
            str(index_dir),
            "--host",
            HOST,
            "--port",
            "0",
            "--threads",
            str(threads),
        ]
        if processes is not None:
            self.args += ["--processes", str(processes)]
        self.args += list(options)  # more `vnsearch serve` options, e.g. --base-url
        self.threads, self.log = threads, Path(log)
        self._proc: subprocess.Popen | None = None
        self._port: int | None = None
        self.label = ""

    @property
    def proc(self) -> subprocess.Popen:
        """The server's process (once started)."""
        if self._proc is None:
            raise RuntimeError("the server is not started")
        return self._proc

    @property
    def port(self) -> int:
        """The port the server listens on (once it says so)."""
        if self._port is None:
            raise RuntimeError("the server is not listening yet")
        return self._port

    def __enter__(self) -> Self:
        # stderr goes to a file: a pipe nobody reads could fill up and stall the server.
        with open(self.log, "wb") as err:
            self._proc = subprocess.Popen(
                self.args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err
            )
        try:
            deadline = time.time() + 60
            while time.time() < deadline:
                m = LISTENING.search(self.stderr())
                if m:
                    self._port, self.label = int(m.group(1)), m.group(2)
                    self._workers_ready(deadline)
                    return self
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
            raise RuntimeError(f"vnsearch serve did not start:\n{self.stderr()}")
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc) -> None:
        self.close()

    def _workers_ready(self, deadline: float) -> None:
        """With several processes, wait until every gunicorn worker has loaded the app.

        (A worker that gets SIGTERM while it is still starting may miss it: stopping the
        server then waits for the worker's time-out. Seen once in 150 tests.)
        """
        m = WORKERS.match(self.label)
        while m and len(READY.findall(self.stderr())) < int(m.group(1)):
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"vnsearch serve's workers did not start:\n{self.stderr()}")
            time.sleep(0.05)

    def close(self) -> None:
        """Terminate the server (kill it if it does not stop)."""
        if self._proc is None or self._proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def stderr(self) -> str:
        """What the server wrote on stderr (its log)."""
        return self.log.read_text("utf-8", "replace") if self.log.exists() else ""

    def get(self, target: str, timeout: float = 30) -> Answer:
        """GET ``target`` (already %-encoded) over a fresh connection."""
        return raw_request(
            self.port, b"GET " + target.encode("ascii") + b" HTTP/1.1", timeout=timeout
        )


@dataclass
class Answer:
    """A parsed HTTP response."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def raw_request(
    port: int,
    request_line: bytes,
    headers: bytes = b"",
    body: bytes = b"",
    method_head: bool = False,
    timeout: float = 30,
    host: bytes = HOST.encode(),
) -> Answer:
    """Send ``request_line`` (e.g. ``b"GET /x HTTP/1.1"``) as is, plus ``headers`` lines."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(
            request_line
            + b"\r\nHost: "
            + host
            + b"\r\n"
            + headers
            + b"Connection: close\r\n\r\n"
            + body
        )
        response = http.client.HTTPResponse(sock, method="HEAD" if method_head else "GET")
        try:
            response.begin()
            data = response.read()
            return Answer(response.status, response.headers, data)
        finally:
            response.close()


# --- xapian-tcpsrv -----------------------------------------------------------

TCPSRV = shutil.which("xapian-tcpsrv")


def free_port() -> int:
    """A free TCP port of 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(cmd: list[str], port: int) -> subprocess.Popen | None:
    """``cmd`` started, once it accepts connections on 127.0.0.1:``port`` (None if it
    stopped or never did, within 10 s: then it is killed)."""
    proc = subprocess.Popen(
        cmd,
        # Xapian's servers log every connection: a pipe nobody reads would fill and stall them.
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # On SIGTERM xapian-tcpsrv signals its whole process group: not pytest's.
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    proc.wait()
    return None


def tcpsrv(shard: Path, port: int) -> list[str]:
    """The command that serves ``shard`` on 127.0.0.1:``port``."""
    assert TCPSRV is not None  # the tests that serve shards skip without it
    return [TCPSRV, "--interface", "127.0.0.1", "--port", str(port), str(shard)]


def serve_shard(shard: Path) -> tuple[subprocess.Popen, str]:
    """xapian-tcpsrv serving one shard on a free port of 127.0.0.1."""
    for _ in range(5):
        port = free_port()
        proc = listening(tcpsrv(shard, port), port)
        if proc is not None:
            return proc, f"tcp://127.0.0.1:{port}"
    raise RuntimeError("xapian-tcpsrv did not start")


@contextmanager
def served_shards(index: Path) -> Iterator[list[str]]:
    """Every shard of the Xapian index at ``index`` served by its own xapian-tcpsrv: their
    URLs, in shard order (the servers stop on leaving)."""
    shards = sorted((index / "shards").iterdir(), key=lambda p: int(p.name))
    started = []
    try:
        for shard in shards:
            started.append(serve_shard(shard))
        yield [url for _, url in started]
    finally:
        for proc, _ in started:
            proc.terminate()
            proc.wait(timeout=10)
