"""`vnsearch serve --processes N`: forked workers on one shared socket, stopped together.

Each test starts ``python -m search serve --port 0`` on the session index in a
subprocess, finds its workers among the children of the parent in /proc, and
checks that they answer, share the listening socket and never outlive the parent.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from server_helpers import HOST, LISTENING, Server, raw_request
from web.cli import can_fork, serve

pytestmark = pytest.mark.skipif(
    not (can_fork() and Path("/proc/self/stat").exists()),
    reason="several server processes need fork() and /proc (Linux)",
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


def opened_index(pid: int, index_dir: Path) -> bool:
    """Whether process ``pid`` has a file of the index open or mapped (it has searched)."""
    prefix = str(Path(index_dir).resolve())
    targets = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            targets.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            continue
    maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
    targets += [line.split(None, 5)[-1] for line in maps if len(line.split(None, 5)) == 6]
    return any(t.startswith(prefix) for t in targets)


class Served(Server):
    """`vnsearch serve --processes N` over ``index_dir`` in a subprocess (a context manager)."""

    def __init__(self, index_dir: Path, log: Path, processes: int, threads: int = 4):
        super().__init__(index_dir, log, threads=threads, processes=processes)

    def close(self) -> None:
        """Kill the workers first (a failed test must not leave them behind), then the parent."""
        if self.proc is not None:
            for pid in children(self.proc.pid):
                os.kill(pid, signal.SIGKILL)
        super().close()

    def workers(self, n: int, timeout: float = 30) -> list[int]:
        """The parent's ``n`` worker processes (waits until they have all started)."""
        deadline = time.time() + timeout
        while len(pids := children(self.proc.pid)) < n and time.time() < deadline:
            time.sleep(0.05)
        return pids

    def stop(self, signum: int, timeout: float = 20) -> int:
        """Send ``signum`` to the parent alone; its exit status."""
        self.proc.send_signal(signum)
        return self.proc.wait(timeout)


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


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_two_workers_share_the_socket_and_stop_together(index_dir, engine, tmp_path, signum):
    with Served(index_dir, tmp_path / "serve.log", processes=2) as server:
        assert server.label == "2 processes x 4 threads; Ctrl+C to stop"
        workers = server.workers(2)
        assert len(workers) == 2 and server.proc.pid not in workers
        # Both accept on the one socket the parent bound (the parent closed its copy).
        inode = listening_inode(server.port)
        assert all(inode in socket_inodes(pid) for pid in workers)
        assert inode not in socket_inodes(server.proc.pid)

        answers = search_answers(server.port, 24)
        assert [status for status, _ in answers] == [200] * 24
        assert answers[0][1]["total"] > 0
        assert all(as_expected(a) == expected(engine) for _, a in answers)
        assert children(server.proc.pid) == workers  # nobody died answering
        # Both answered searches: connections go to the worker with the fewest.
        assert all(opened_index(pid, index_dir) for pid in workers)

        assert server.stop(signum) == 0
        assert not any(exists(pid) for pid in workers)  # reaped, not orphaned
        assert refused(server.port)
    log = server.stderr()
    assert "Traceback" not in log
    assert len(LISTENING.findall(log)) == 1  # one start-up line, from the parent


def test_a_dead_worker_stops_the_server(index_dir, tmp_path):
    with Served(index_dir, tmp_path / "serve.log", processes=2) as server:
        victim, other = server.workers(2)
        assert raw_request(server.port, b"GET / HTTP/1.1").status == 200
        os.kill(victim, signal.SIGKILL)
        assert server.proc.wait(20) == 1
        assert not exists(other)
        assert refused(server.port)
    assert (
        f"worker process {victim} died (signal {int(signal.SIGKILL)}); stopping" in server.stderr()
    )


def test_a_killed_parent_leaves_no_worker(index_dir, tmp_path):
    with Served(index_dir, tmp_path / "serve.log", processes=2) as server:
        workers = server.workers(2)
        assert len(workers) == 2
        server.proc.kill()  # SIGKILL: the parent cannot stop them; the kernel does
        server.proc.wait(10)
        deadline = time.time() + 20
        while any(running(pid) for pid in workers) and time.time() < deadline:
            time.sleep(0.05)
        assert not any(running(pid) for pid in workers)
        assert refused(server.port)
    assert "Traceback" not in server.stderr()


def test_one_process_serves_in_the_parent(index_dir, engine, tmp_path):
    with Served(index_dir, tmp_path / "serve.log", processes=1) as server:
        assert server.label == "4 threads; Ctrl+C to stop"  # as before --processes existed
        assert children(server.proc.pid) == []
        answers = search_answers(server.port, 8)
        assert [status for status, _ in answers] == [200] * 8
        assert all(as_expected(a) == expected(engine) for _, a in answers)
        assert listening_inode(server.port) in socket_inodes(server.proc.pid)
        assert server.stop(signal.SIGINT) == 0
    assert "Traceback" not in server.stderr()


def test_processes_option(runner):
    result = runner.invoke(serve, ["--processes", "0"])
    assert result.exit_code == 2 and "--processes" in result.output
    assert "number of CPUs" in runner.invoke(serve, ["--help"]).output
