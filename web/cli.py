"""``vnsearch serve``: the web site under waitress (registered through an entry point)."""

from __future__ import annotations

import mmap
import multiprocessing
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
# Open connections per process (waitress's default is 100, listening sockets included:
# a few hundred slow clients would fill it and stop all service).
CONNECTION_LIMIT = 1000
# Seconds a client has to send a whole request (line, headers, body), and an idle
# keep-alive connection stays open (waitress's default: 120 s, and none for the request).
CLIENT_TIMEOUT = 15
# File descriptors a process keeps besides its connections (index files, pipes, logs).
SPARE_FILES = 256
_WATCHED = (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD)


def server_options(connection_limit: int, client_timeout: int) -> dict:
    """waitress adjustments that keep slow or idle clients from exhausting a process."""
    return {
        "connection_limit": connection_limit,
        "channel_timeout": client_timeout,
        # Look for expired connections every second, not every 30 s.
        "cleanup_interval": 1,
        # select() fails on descriptors past 1023; poll() has no such limit.
        "asyncore_use_poll": True,
    }


def allow_files(connection_limit: int) -> int:
    """Raise this process's open-file limit for ``connection_limit`` connections.

    Returns the connection limit that fits under the hard limit.
    """
    try:
        import resource
    except ImportError:  # not Unix
        return connection_limit
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = connection_limit + SPARE_FILES
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    if soft != resource.RLIM_INFINITY and soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
            soft = want
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return connection_limit
    return max(1, min(connection_limit, soft - SPARE_FILES))


def guard(server, client_timeout: int) -> None:
    """Close connections that take over ``client_timeout`` s to send a whole request.

    waitress only closes a connection idle for ``channel_timeout``: a client
    that trickles a header byte now and then (slowloris) keeps it forever. Each
    channel notes when its pending request began; the periodic maintenance
    closes it once that is older than the timeout and no answer is under way.
    """

    def expire(listener):
        original = listener.maintenance

        def maintenance(now):
            original(now)
            cutoff = now - client_timeout
            for channel in list(listener.active_channels.values()):
                began = getattr(channel, "request_began", None)  # set by harden()'s channel
                if (
                    channel.request is not None
                    and not channel.requests
                    and began is not None
                    and began < cutoff
                ):
                    channel.will_close = True  # closed by the next loop pass

        listener.maintenance = maintenance

    for listener in _wsgi_servers(server):
        expire(listener)


def make_server(app, limits: dict, **where):
    """A hardened waitress server for ``app`` (``where``: host/port or sockets, threads)."""
    from waitress import create_server

    server = create_server(
        app,
        ident="vnsearch",
        **where,
        **server_options(limits["connection_limit"], limits["client_timeout"]),
    )
    harden(server)
    guard(server, limits["client_timeout"])
    return server


def harden(server) -> None:
    """Give waitress's own error answers the site's security headers.

    Waitress answers some requests without calling the app: a request line it
    cannot parse (raw non-ASCII bytes, spaces), headers or a body over its
    limits. Those plain-text 400/413/431 responses get the same headers as
    every page of the site, and the no-store of every error.
    """
    from waitress.channel import HTTPChannel
    from waitress.task import ErrorTask

    from . import SECURITY_HEADERS

    class SecureErrorTask(ErrorTask):
        def execute(self):
            self.response_headers.extend(SECURITY_HEADERS.items())
            self.response_headers.append(("Cache-Control", "no-store"))  # as every error
            super().execute()

    class SecureChannel(HTTPChannel):
        error_task_class = SecureErrorTask
        request_began: float | None = None

        def received(self, data):
            # When the request being received began (see guard()).
            pending = self.request
            result = super().received(data)
            if self.request is not None and self.request is not pending:
                self.request_began = time.time()
            return result

    for s in _wsgi_servers(server):
        s.channel_class = SecureChannel


def _wsgi_servers(server) -> list:
    """The listening waitress servers behind what create_server returned."""
    from waitress.server import BaseWSGIServer

    return (
        [server]
        if isinstance(server, BaseWSGIServer)
        else [s for s in server.map.values() if isinstance(s, BaseWSGIServer)]
    )


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
    host, port = socket.getnameinfo(
        sock.getsockname(), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV
    )
    return host, int(port)


class LeastConnections:
    """Only the workers with the fewest open connections accept new ones.

    Workers accepting on one shared socket race for each connection, and the
    one that just accepted usually wins the next too (measured: 4 keep-alive
    clients split 1:3 in 10 of 12 starts), leaving a core idle. Each worker
    publishes its connection count in memory shared across fork and stops
    polling the listening socket while another worker has fewer.

    A worker that stopped polling sleeps in poll() until one of its own
    connections stirs or the loop times out: nothing wakes it when the others'
    counts change. So a worker may stop only while another one is polling,
    decided and published under a lock shared by all: some worker that can
    accept always watches the socket. (Without that rule two workers could each
    stop because the other had fewer, and with idle, slow-header clients the
    port accepted about two connections a second: 50 of them stopped all
    service.) The loop wakes every RECHECK seconds (waitress: 1 s) so that a
    worker left with fewer connections soon takes its share again.
    """

    RECHECK = 0.1

    def __init__(self, workers: int):
        # Anonymous mmap: MAP_SHARED, so the forked workers see each other's writes.
        self._memory = mmap.mmap(-1, 8 * workers)
        shared = memoryview(self._memory).cast("i")
        self.counts, self.polling = shared[:workers], shared[workers:]
        # A worker still starting counts as full: the others do not wait for it.
        for slot in range(workers):
            self.counts[slot] = 2**31 - 1
            self.polling[slot] = 0
        self.lock = multiprocessing.get_context("fork").Lock()

    def decide(self, slot: int, count: int, can_accept: bool) -> bool:
        """Publish worker ``slot``'s ``count``; whether it should poll the listening socket."""
        counts, polling = self.counts, self.polling
        with self.lock:
            counts[slot] = count
            others = any(polling[i] for i in range(len(polling)) if i != slot)
            accept = can_accept and (count <= min(counts) or not others)
            polling[slot] = int(accept)
        return accept

    def apply(self, server, slot: int) -> None:
        """Make ``server`` (in worker number ``slot``) accept only when it is least busy."""
        servers = _wsgi_servers(server)

        def gate(readable):
            def least_busy_readable() -> bool:
                # Asked before counting: waitress's readable() also closes expired
                # connections, and says False at the connection limit.
                can_accept = readable()
                mine = sum(len(s.active_channels) for s in servers)
                return self.decide(slot, mine, can_accept)

            return least_busy_readable

        for s in servers:
            s.readable = gate(s.readable)
        # run() reads it on each call of poll(); Adjustments would round it to whole seconds.
        server.adj.asyncore_loop_timeout = self.RECHECK


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


def _worker(
    config: dict,
    socks: list[socket.socket],
    threads: int,
    limits: dict,
    mask,
    balance: LeastConnections,
    slot: int,
    parent: int,
) -> None:
    """A forked server process: its own app and waitress threads on the shared sockets."""
    code = 0
    try:
        signal.signal(signal.SIGINT, _stop_now)
        signal.signal(signal.SIGTERM, _stop_now)
        _die_with_parent(parent)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        from . import create_app

        server = make_server(create_app(config), limits, sockets=socks, threads=threads)
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


def _serve_forked(
    config: dict, socks: list[socket.socket], threads: int, limits: dict, processes: int
) -> int:
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
                _worker(config, socks, threads, limits, mask, balance, slot, parent)  # no return
            workers.add(pid)
        for sock in socks:  # the workers hold them now; the port closes with the last one
            sock.close()
        return _supervise(workers)
    finally:
        # The mask stays: the parent exits next, and a late SIGINT must not
        # turn into a KeyboardInterrupt traceback here.
        _stop(workers)


def _check_base_url(ctx, param, value):
    """--base-url: an absolute http(s) URL without query or fragment, or nothing."""
    if value is None:
        return None
    from .urls import parse_base_url

    try:
        return parse_base_url(value)
    except ValueError as e:
        raise click.BadParameter(f"không phải là địa chỉ http(s) hợp lệ. Chi tiết: {e}") from None


@click.command()
@click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=default_index,
    show_default="index/",
    help="Index folder.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0 for every interface).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on.",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=8,
    show_default=True,
    help="Worker threads answering requests (in each process).",
)
@click.option(
    "--processes",
    type=click.IntRange(1, 256),
    default=cpus,
    show_default="number of CPUs",
    help="Server processes sharing the port (Linux; 1 elsewhere).",
)
@click.option(
    "--connection-limit",
    type=click.IntRange(10, 100_000),
    default=CONNECTION_LIMIT,
    show_default=True,
    help="Open connections per process; more wait to be accepted.",
)
@click.option(
    "--client-timeout",
    type=click.IntRange(1, 3600),
    default=CLIENT_TIMEOUT,
    show_default=True,
    help="Seconds a client may take to send a request, or stay idle, before its "
    "connection is closed.",
)
@click.option(
    "--base-url",
    callback=_check_base_url,
    metavar="URL",
    help="Public address of the site (e.g. https://example.org/tim-kiem): "
    "absolute links in feeds and OpenSearch use it instead of the request's "
    "Host header.",
)
def serve(index_dir, host, port, threads, processes, connection_limit, client_timeout, base_url):
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

    Slow clients cannot stop service: each process holds up to --connection-limit
    connections, and one that has not sent a whole request within --client-timeout
    seconds (or stays idle that long) is closed.
    """
    config = {"INDEX_DIR": str(Path(index_dir).resolve())}
    if base_url:
        config["BASE_URL"] = base_url
    limits = {"connection_limit": allow_files(connection_limit), "client_timeout": client_timeout}
    if processes > 1 and can_fork():
        socks = bind(host, port)
        click.echo(
            f"vnsearch: serving {index_dir} on "
            f"{_urls([_address(s) for s in socks], host)} "
            f"({processes} processes x {threads} threads; Ctrl+C to stop)",
            err=True,
        )
        sys.exit(_serve_forked(config, socks, threads, limits, processes))

    from . import create_app

    server = make_server(create_app(config), limits, host=host, port=port, threads=threads)
    click.echo(
        f"vnsearch: serving {index_dir} on {_listening(server, host)} "
        f"({threads} threads; Ctrl+C to stop)",
        err=True,
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
