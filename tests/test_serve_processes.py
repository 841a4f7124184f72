"""`vnsearch serve --processes N`: gunicorn's workers on one socket, supervised, stopped together.

Each test starts ``python -m search serve --port 0`` on the session index in a
subprocess, finds its workers among the children of the parent (gunicorn's
arbiter) in /proc, and checks that they answer, share the listening socket, are
replaced when they die or hang, are renewed on SIGHUP and never outlive the parent.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import SEEDS
from server_helpers import HOST, LISTENING, Server, raw_request

from web.cli import GTHREAD_THREADS, THREADS, ServeOptions, has_gunicorn, serve

pytestmark = pytest.mark.skipif(
    not (has_gunicorn() and Path("/proc/self/stat").exists()),
    reason="several server processes need gunicorn and /proc (Linux)",
)

QUERY = "/api/search?q=can+bo+cap+xa"


def children(pid: int) -> list[int]:
    """Live (not zombie) child processes of ``pid``, from /proc."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry))
    return sorted(out)


def exists(pid: int) -> bool:
    """Whether ``pid`` is still in the process table (zombies included)."""
    return Path(f"/proc/{pid}").exists()


def running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie (an orphan's may never be reaped here)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def listening_inode(port: int) -> str:
    """The socket inode listening on 127.0.0.1:``port`` (from /proc/net/tcp)."""
    local = f"0100007F:{port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[3] == "0A":  # 0A: LISTEN
            return fields[9]
    raise AssertionError(f"nothing listens on {HOST}:{port}")


def socket_inodes(pid: int) -> set[str]:
    """Inodes of the sockets process ``pid`` has open."""
    out = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            out.add(target[len("socket:[") : -1])
    return out


class Served(Server):
    """`vnsearch serve --processes N` over ``index_dir`` in a subprocess (a context manager)."""

    def __init__(self, index_dir: Path, log: Path, processes: int, threads: int = 4, options=()):
        super().__init__(index_dir, log, threads=threads, processes=processes, options=options)

    def close(self) -> None:
        """Kill the workers first (a failed test must not leave them behind), then the parent."""
        if self.proc is not None:
            for pid in children(self.proc.pid):
                os.kill(pid, signal.SIGKILL)
        super().close()

    def workers(self, n: int, timeout: float = 30, other_than=()) -> list[int]:
        """The parent's ``n`` worker processes, none of ``other_than`` (waits for them)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            pids = children(self.proc.pid)
            if len(pids) == n and not set(pids) & set(other_than):
                return pids
            time.sleep(0.05)
        raise AssertionError(f"workers {children(self.proc.pid)}, wanted {n} new ones")

    def ready(self, pid: int, timeout: float = 30) -> None:
        """Wait until worker ``pid`` has loaded the app (then it beats its heartbeat)."""
        deadline = time.time() + timeout
        while f"vnsearch: worker {pid} ready" not in self.stderr():
            assert time.time() < deadline, f"worker {pid} did not start"
            time.sleep(0.05)
        time.sleep(0.5)  # its first heartbeat follows at once

    def stop(self, signum: int, timeout: float = 20) -> int:
        """Send ``signum`` to the parent alone; its exit status (on a timeout, a failure
        that says where each of its threads waits, and what it logged)."""
        self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"still running {timeout} s after signal {signum}; threads: "
                f"{thread_states(self.proc.pid)}; log: {self.stderr()[-2000:]}"
            ) from None


def thread_states(pid: int) -> list[str]:
    """Each thread of ``pid``: its name, state and the kernel function it waits in."""
    out = []
    for task in sorted(Path(f"/proc/{pid}/task").iterdir()):
        try:
            comm = (task / "comm").read_text().strip()
            state = (task / "stat").read_text().rsplit(")", 1)[1].split()[0]
            wchan = (task / "wchan").read_text().strip()
        except OSError:
            continue
        out.append(f"{task.name} {comm} {state} {wchan}")
    return out


def search_answers(port: int, n: int) -> list:
    """``n`` concurrent GETs of QUERY, each on a fresh connection: (status, JSON) pairs."""

    def one(_):
        r = raw_request(port, b"GET " + QUERY.encode() + b" HTTP/1.1")
        return r.status, json.loads(r.body)

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(n)))


def refused(port: int) -> bool:
    """Whether nothing accepts connections on the port any more."""
    for _ in range(5):
        try:
            conn = socket.create_connection((HOST, port), timeout=5)
        except ConnectionRefusedError:
            return True
        # With nothing listening, a connection from an ephemeral port equal to
        # the target port connects to itself (TCP simultaneous open): not a server.
        to_itself = conn.getsockname() == conn.getpeername()
        conn.close()
        if not to_itself:
            return False
        time.sleep(0.1)
    return True


def expected(engine) -> dict:
    """What the API must say for QUERY (from the library, same index)."""
    result = engine.search("can bo cap xa")
    return {"total": result.total, "ids": [h.id for h in result.hits]}


def as_expected(answer: dict) -> dict:
    return {"total": answer["total"], "ids": [h["id"] for h in answer["hits"]]}


def answers_correctly(port: int, engine, n: int = 8) -> bool:
    answers = search_answers(port, n)
    return all(status == 200 and as_expected(a) == expected(engine) for status, a in answers)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_two_workers_share_the_socket_and_stop_together(index_dir, engine, tmp_path, signum):
    with Served(index_dir, tmp_path / "serve.log", processes=2) as server:
        assert server.label == "2 tiến trình × 4 luồng; Ctrl+C để dừng"
        workers = server.workers(2)
        assert server.proc.pid not in workers
        # Both accept on the one socket the parent (gunicorn's arbiter) bound.
        inode = listening_inode(server.port)
        assert all(inode in socket_inodes(pid) for pid in workers)

        answers = search_answers(server.port, 24)
        assert [status for status, _ in answers] == [200] * 24
        assert answers[0][1]["total"] > 0
        assert all(as_expected(a) == expected(engine) for _, a in answers)
        assert children(server.proc.pid) == workers  # nobody died answering

        assert server.stop(signum) == 0
        assert not any(exists(pid) for pid in workers)  # reaped, not orphaned
        assert refused(server.port)  # the port is free
    log = server.stderr()
    assert "Traceback" not in log
    assert len(LISTENING.findall(log)) == 1  # one start-up line, from the parent
    # The access log (stderr by default): one line per request, from the workers.
    assert log.count(f'"GET {QUERY} HTTP/1.1" 200 ') == 24


def test_sigterm_lets_a_request_under_way_finish(index_dir, tmp_path):
    with Served(index_dir, tmp_path / "serve.log", processes=2) as server:
        server.workers(2)
        with socket.create_connection((HOST, server.port), timeout=10) as sock:
            sock.sendall(b"GET " + QUERY.encode() + b" HTTP/1.1\r\nHost: x\r\n")
            time.sleep(0.5)  # accepted: a worker thread reads the rest
            server.proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            assert server.proc.poll() is None  # waiting for this request
            sock.sendall(b"\r\n")
            answer = http.client.HTTPResponse(sock)
            answer.begin()
            assert answer.status == 200 and json.loads(answer.read())["total"] > 0
            assert answer.will_close  # no keep-alive while stopping
        assert server.proc.wait(20) == 0
        assert refused(server.port)
    assert "Traceback" not in server.stderr()


def test_a_dead_worker_is_replaced(index_dir, engine, tmp_path):
    with Served(index_dir, tmp_path / "serve.log", processes=2) as server:
        victim, other = server.workers(2)
        os.kill(victim, signal.SIGKILL)
        assert victim not in server.workers(2, other_than=[victim])
        assert other in children(server.proc.pid)
        assert answers_correctly(server.port, engine)
        assert server.stop(signal.SIGTERM) == 0
        assert refused(server.port)


def test_a_hung_worker_is_replaced_after_the_timeout(index_dir, engine, tmp_path):
    options = ("--timeout", "2")
    with Served(index_dir, tmp_path / "serve.log", processes=2, options=options) as server:
        hung, other = server.workers(2)
        # (gunicorn never times out a worker stopped before its first heartbeat.)
        server.ready(hung)
        os.kill(hung, signal.SIGSTOP)  # no more heartbeats from it
        started = time.monotonic()
        while exists(hung) and time.monotonic() - started < 20:
            time.sleep(0.1)
        assert not exists(hung), "a stopped worker outlived --timeout"
        assert 1.5 < time.monotonic() - started < 15
        assert other in server.workers(2, other_than=[hung])  # the other one untouched
        assert answers_correctly(server.port, engine)
    assert f"WORKER TIMEOUT (pid:{hung})" in server.stderr()


def test_sighup_renews_the_workers(index_dir, engine, tmp_path):
    with Served(index_dir, tmp_path / "serve.log", processes=2) as server:
        old = server.workers(2)
        server.proc.send_signal(signal.SIGHUP)
        new = server.workers(2, other_than=old)
        assert not any(running(pid) for pid in old)
        assert server.proc.poll() is None  # the parent stays, and so does the port
        assert answers_correctly(server.port, engine)
        assert server.stop(signal.SIGTERM) == 0
        assert not any(exists(pid) for pid in new)
    assert "Traceback" not in server.stderr()


def test_a_killed_parent_leaves_no_worker(index_dir, tmp_path):
    with Served(index_dir, tmp_path / "serve.log", processes=2) as server:
        workers = server.workers(2)
        server.proc.kill()  # SIGKILL: the parent cannot stop them; they see it gone
        server.proc.wait(10)
        deadline = time.time() + 20
        while any(running(pid) for pid in workers) and time.time() < deadline:
            time.sleep(0.05)
        assert not any(running(pid) for pid in workers)
        assert refused(server.port)
    assert "Traceback" not in server.stderr()


def test_access_log_to_a_file(index_dir, tmp_path):
    log = tmp_path / "access.log"
    options = ("--access-log", str(log))
    with Served(index_dir, tmp_path / "serve.log", processes=2, options=options) as server:
        assert raw_request(server.port, b"GET /nope HTTP/1.1").status == 404
        assert server.get(QUERY).status == 200
        assert server.stop(signal.SIGTERM) == 0
    lines = log.read_text().splitlines()
    assert len(lines) == 2
    assert '"GET /nope HTTP/1.1" 404 ' in lines[0] and f'"GET {QUERY} HTTP/1.1" 200 ' in lines[1]
    assert "GET /nope" not in server.stderr()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="no SO_REUSEPORT here")
@pytest.mark.parametrize("reuse", [False, True], ids=["default", "reuse-port"])
def test_reuse_port(index_dir, engine, tmp_path, reuse):
    port = free_port()
    options = ("--port", str(port)) + (("--reuse-port",) if reuse else ())
    with Served(index_dir, tmp_path / "serve.log", processes=2, options=options) as server:
        assert server.port == port
        server.workers(2)
        assert answers_correctly(port, engine)
        with socket.socket() as other:
            # Another server (e.g. the next release) binding the same port alongside.
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if reuse:
                other.bind((HOST, port))
            else:
                with pytest.raises(OSError):
                    other.bind((HOST, port))


def test_reuse_port_needs_a_port(runner):
    result = runner.invoke(serve, ["--reuse-port", "--port", "0", "--processes", "2"])
    assert result.exit_code == 2 and "--reuse-port" in result.output and "--port" in result.output


@pytest.mark.parametrize("processes", [1, 2])
def test_sigint_stops_a_server_started_with_sigint_ignored(index_dir, tmp_path, processes):
    # A shell's `&` starts a background job with SIGINT ignored, and exec keeps
    # that; Ctrl+C's signal still stops the server, under waitress as under gunicorn.
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        server = Served(index_dir, tmp_path / "serve.log", processes=processes).__enter__()
    finally:
        signal.signal(signal.SIGINT, before)
    try:
        assert [status for status, _ in search_answers(server.port, 2)] == [200] * 2
        assert server.stop(signal.SIGINT) == 0
    finally:
        server.close()


def test_one_process_serves_in_the_parent(index_dir, engine, tmp_path):
    with Served(index_dir, tmp_path / "serve.log", processes=1) as server:
        assert server.label == "4 luồng; Ctrl+C để dừng"  # waitress, as before
        assert children(server.proc.pid) == []
        answers = search_answers(server.port, 8)
        assert [status for status, _ in answers] == [200] * 8
        assert all(as_expected(a) == expected(engine) for _, a in answers)
        assert listening_inode(server.port) in socket_inodes(server.proc.pid)
        assert server.stop(signal.SIGINT) == 0
    assert "Traceback" not in server.stderr()


@pytest.mark.parametrize(
    "processes, threads, expected_threads",
    [(1, None, THREADS), (2, None, GTHREAD_THREADS), (2, 16, 16), (1, 16, 16)],
)
def test_default_threads_follow_the_server(tmp_path, processes, threads, expected_threads):
    opts = ServeOptions(tmp_path, processes=processes, threads=threads)
    assert opts.gunicorn == (processes > 1)
    assert opts.thread_count == expected_threads


@pytest.mark.parametrize("layout", ["whoosh", "xapian-1", "xapian-3", "remote-2"])
def test_open_files_are_allowed_for_every_threads_readers(tmp_path, layout):
    # A thread holds its own readers: a Xapian one two handles (facets are counted
    # on the second), each a few files per shard. The limit leaves room for them.
    import resource

    from search.backends import open_source
    from search.ingest import index_paths
    from web.cli import SPARE_FILES, allow_files

    backend, _, n = layout.partition("-")
    index = tmp_path / "index"
    urls: tuple[str, ...] = ()
    if backend == "remote":
        urls = tuple(f"tcp://127.0.0.1:{7000 + k}" for k in range(int(n)))
    else:
        index_paths([SEEDS], index, workers=1, backend=backend, shards=int(n) if n else None)
    opts = ServeOptions(index, processes=1, threads=4, shard_urls=urls)
    if backend == "xapian":  # what a reader and its second handle really hold
        source = open_source(index)
        before = len(os.listdir("/proc/self/fd"))
        reader = source.reader()
        assert reader.twin() is not None
        held = len(os.listdir("/proc/self/fd")) - before
        reader.close()
        assert held <= opts.reader_files
    assert opts.reader_files == {"whoosh": 8, "xapian-1": 14, "xapian-3": 38, "remote-2": 4}[layout]
    reserved = opts.thread_count * opts.reader_files
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    fits = allow_files(100, reserved)
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 100 + reserved + SPARE_FILES
    assert soft >= want if hard == resource.RLIM_INFINITY or hard >= want else fits < 100


def test_serve_options(runner):
    result = runner.invoke(serve, ["--processes", "0"])
    assert result.exit_code == 2 and "--processes" in result.output
    help_text = runner.invoke(serve, ["--help"]).output
    assert "number of CPUs" in " ".join(help_text.split())
    for option in ("--timeout", "--access-log", "--reuse-port", "--threads"):
        assert option in help_text
    for bad in (["--timeout", "-1"], ["--threads", "0"]):
        result = runner.invoke(serve, bad)
        assert result.exit_code == 2 and bad[0] in result.output
