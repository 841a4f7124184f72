"""``vnsearch serve``: the web site under waitress (registered through an entry point)."""
from __future__ import annotations

import mmap
import os
import signal
import socket
import sys
import time
import traceback
from pathlib import Path

import click

from search.paths import default_index

# A worker that got no answer to SIGTERM within this many seconds is killed.
STOP_TIMEOUT = 10.0
_WATCHED = (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD)


def harden(server) -> None:
    """Give waitress's own error answers the site's security headers.

    Waitress answers some requests without calling the app: a request line it
    cannot parse (raw non-ASCII bytes, spaces), headers or a body over its
    limits. Those plain-text 400/413/431 responses get the same headers as
    every page of the site.
    """
    from waitress.channel import HTTPChannel
    from waitress.task import ErrorTask

    from . import SECURITY_HEADERS

    class SecureErrorTask(ErrorTask):
        def execute(self):
            self.response_headers.extend(SECURITY_HEADERS.items())
            super().execute()

    class SecureChannel(HTTPChannel):
        error_task_class = SecureErrorTask

    for s in _wsgi_servers(server):
        s.channel_class = SecureChannel


def _wsgi_servers(server) -> list:
    """The listening waitress servers behind what create_server returned."""
    from waitress.server import BaseWSGIServer

    return [server] if isinstance(server, BaseWSGIServer) else \
        [s for s in server.map.values() if isinstance(s, BaseWSGIServer)]


def _urls(listen: list[tuple[str, int]], host: str) -> str:
    """URLs of (host, port) listening addresses; one address is shown with the host as given."""
    if len(listen) == 1:
        return f"http://{host}:{listen[0][1]}/"
    return ", ".join(f"http://{h if ':' not in h else f'[{h}]'}:{p}/" for h, p in listen)


def _listening(server, host: str) -> str:
    """The address(es) a waitress server listens on, as URLs."""
    if hasattr(server, "effective_port"):
        return _urls([(host, server.effective_port)], host)
    return _urls(server.effective_listen, host)


def cpus() -> int:
    """CPUs this process may run on (the default number of server processes)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether several server processes are possible here (fork and sigtimedwait: Linux)."""
    return hasattr(os, "fork") and hasattr(signal, "sigtimedwait")


def bind(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for host:port, resolved and bound the way waitress binds its own."""
    from waitress.adjustments import Adjustments

    adj = Adjustments(host=host, port=port)
    socks: list[socket.socket] = []
    try:
        for family, socktype, _proto, sockaddr in adj.listen:
            sock = socket.socket(family, socktype)
            socks.append(sock)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(sockaddr)
            sock.listen(adj.backlog)
    except BaseException:
        for sock in socks:
            sock.close()
        raise
    return socks


def _address(sock: socket.socket) -> tuple[str, int]:
    """The numeric (host, port) a socket is bound to."""
    host, port = socket.getnameinfo(sock.getsockname(),
                                    socket.NI_NUMERICHOST | socket.NI_NUMERICSERV)
    return host, int(port)


class LeastConnections:
    """Only the workers with the fewest open connections accept new ones.

    Workers accepting on one shared socket race for each connection, and the
    one that just accepted usually wins the next too (measured: 4 keep-alive
    clients split 1:3 in 10 of 12 starts), leaving a core idle. Each worker
    publishes its connection count in memory shared across fork and stops
    polling the listening socket while another worker has fewer; the worker
    with the fewest always polls, so no connection waits for a stale count.
    """

    def __init__(self, workers: int):
        # Anonymous mmap: MAP_SHARED, so the forked workers see each other's writes.
        self._memory = mmap.mmap(-1, 4 * workers)
        self.counts = memoryview(self._memory).cast("i")
        # A worker still starting counts as full: the others do not wait for it.
        for slot in range(workers):
            self.counts[slot] = 2**31 - 1

    def apply(self, server, slot: int) -> None:
        """Make ``server`` (in worker number ``slot``) accept only when it is least busy."""
        servers, counts = _wsgi_servers(server), self.counts

        def gate(readable):
            def least_busy_readable() -> bool:
                # Published before asking waitress: a worker at its connection
                # limit must still show how busy it is.
                mine = counts[slot] = sum(len(s.active_channels) for s in servers)
                return readable() and mine <= min(counts)
            return least_busy_readable

        for s in servers:
            s.readable = gate(s.readable)


def _stop_now(signum, frame):
    # Later signals are ignored so that a second Ctrl+C (or the parent's SIGTERM
    # after a terminal's SIGINT) cannot interrupt the shutdown with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def _die_with_parent(parent: int) -> None:
    """Have the kernel send SIGTERM to this process when its parent dies (Linux)."""
    # Even a SIGKILLed parent, which cannot stop its workers, leaves no orphan.
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before prctl
        os.kill(os.getpid(), signal.SIGTERM)


def _worker(config: dict, socks: list[socket.socket], threads: int, mask,
            balance: LeastConnections, slot: int, parent: int) -> None:
    """A forked server process: its own app and waitress threads on the shared sockets."""
    code = 0
    try:
        signal.signal(signal.SIGINT, _stop_now)
        signal.signal(signal.SIGTERM, _stop_now)
        _die_with_parent(parent)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        from waitress import create_server

        from . import create_app

        server = create_server(create_app(config), sockets=socks, threads=threads,
                               ident="vnsearch")
        harden(server)
        balance.apply(server, slot)
        try:
            server.run()  # returns on KeyboardInterrupt, after its threads stop
        finally:
            server.close()
    except KeyboardInterrupt:
        pass
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        # Never back into click in a child: the parent alone exits through it.
        os._exit(code)


def _reap(workers: set[int]) -> list[tuple[int, int]]:
    """Workers that ended (pid, exit code as in subprocess: -N for signal N), removed."""
    ended = []
    for pid in list(workers):
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done, status = pid, 0
        if done:
            workers.discard(pid)
            ended.append((pid, os.waitstatus_to_exitcode(status)))
    return ended


def _supervise(workers: set[int]) -> int:
    """Wait for SIGINT/SIGTERM or a worker's end; the parent's exit status."""
    while True:
        for pid, code in _reap(workers):
            if code == 0:  # stopped on purpose (a terminal's Ctrl+C reaches every process)
                return 0
            how = f"signal {-code}" if code < 0 else f"status {code}"
            click.echo(f"vnsearch: worker process {pid} died ({how}); stopping", err=True)
            return 1
        # SIGCHLD wakes this up at once; the timeout only guards against a lost signal.
        info = signal.sigtimedwait(_WATCHED, 1.0)
        if info is not None and info.si_signo != signal.SIGCHLD:
            return 0


def _stop(workers: set[int]) -> None:
    """SIGTERM every worker, wait for them, SIGKILL those still there after STOP_TIMEOUT."""
    for pid in workers:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + STOP_TIMEOUT
    while workers and time.monotonic() < deadline:
        _reap(workers)
        time.sleep(0.02)
    for pid in list(workers):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        workers.discard(pid)


def _serve_forked(config: dict, socks: list[socket.socket], threads: int,
                  processes: int) -> int:
    """Fork ``processes`` workers on ``socks`` and supervise them; the exit status."""
    # Blocked before the first fork: a signal arriving while workers start is
    # kept for sigtimedwait instead of killing the parent and orphaning them.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, _WATCHED)
    balance = LeastConnections(processes)
    parent = os.getpid()
    workers: set[int] = set()
    try:
        for slot in range(processes):
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _worker(config, socks, threads, mask, balance, slot, parent)  # no return
            workers.add(pid)
        for sock in socks:  # the workers hold them now; the port closes with the last one
            sock.close()
        return _supervise(workers)
    finally:
        # The mask stays: the parent exits next, and a late SIGINT must not
        # turn into a KeyboardInterrupt traceback here.
        _stop(workers)


@click.command()
@click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path),
              default=default_index, show_default="index/", help="Index folder.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for every interface).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on.")
@click.option("--threads", type=click.IntRange(1, 256), default=8, show_default=True,
              help="Worker threads answering requests (in each process).")
@click.option("--processes", type=click.IntRange(1, 256), default=cpus,
              show_default="number of CPUs",
              help="Server processes sharing the port (Linux; 1 elsewhere).")
def serve(index_dir, host, port, threads, processes):
    """Serve the search site and its JSON API with waitress.

    Pages: / (home), /search, /articles/<id>; JSON: /api/search, /api/articles/<id>;
    Atom: /search.atom. The index may be missing at start or rebuilt while the site
    runs (`vnsearch index` in another terminal): new articles appear without a restart.

    Python runs one thread at a time, so one process uses about one core. With
    --processes N > 1 the parent binds the port, forks N workers (each with its
    own app, engine and --threads threads, all accepting on the same socket) and
    only supervises them: SIGINT or SIGTERM stops every worker; a worker that
    dies stops the whole server with status 1, for a service manager to restart
    (no restart loop here). --processes 1 serves in the one process, as before.
    """
    config = {"INDEX_DIR": str(Path(index_dir).resolve())}
    if processes > 1 and can_fork():
        socks = bind(host, port)
        click.echo(f"vnsearch: serving {index_dir} on "
                   f"{_urls([_address(s) for s in socks], host)} "
                   f"({processes} processes x {threads} threads; Ctrl+C to stop)", err=True)
        sys.exit(_serve_forked(config, socks, threads, processes))

    from waitress import create_server

    from . import create_app

    app = create_app(config)
    server = create_server(app, host=host, port=port, threads=threads, ident="vnsearch")
    harden(server)
    click.echo(f"vnsearch: serving {index_dir} on {_listening(server, host)} "
               f"({threads} threads; Ctrl+C to stop)", err=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
