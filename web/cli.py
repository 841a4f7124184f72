"""``vnsearch serve``: the web site under gunicorn (several processes) or waitress (one).

Registered as a ``vnsearch`` subcommand through an entry point. :class:`ServeOptions`
holds every option of the command in one place; :func:`run` picks the server.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from search import settings as site_settings
from search.errors import SearchError
from search.paths import default_index
from search.settings import Settings

# Open connections per process (waitress's default is 100, listening sockets included:
# a few hundred slow clients would fill it and stop all service).
CONNECTION_LIMIT = 1000
# Seconds a client has to send a whole request (waitress: line, headers, body) and an
# idle keep-alive connection stays open (waitress's default: 120 s, and none for the request).
CLIENT_TIMEOUT = 15
# Seconds a gunicorn worker may miss its heartbeat (stuck) before it is killed and replaced;
# also the time its requests get to finish on SIGTERM or SIGHUP.
WORKER_TIMEOUT = 30
# Threads per process: waitress's threads only run the app on whole requests (it reads
# them without threads), so a few suffice. gunicorn's gthread worker gives a thread to a
# connection while it reads its request: each slow client holds one, and the requests of
# others wait once all are held (measured: 4 threads a process, 200 clients sending half a
# request stopped all service). Its thread pool starts threads only when all are busy.
THREADS = 8
GTHREAD_THREADS = 256
# File descriptors a process keeps besides its connections (index files, pipes, logs).
SPARE_FILES = 256
# Files a reader keeps open: a Whoosh index's (a few segments), a Xapian shard's tables.
WHOOSH_READER_FILES = 8
XAPIAN_SHARD_FILES = 6


@dataclass(frozen=True)
class ServeOptions:
    """Everything ``vnsearch serve`` was asked for (defaults as the command's)."""

    index_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    threads: int | None = None  # None: THREADS, or GTHREAD_THREADS under gunicorn
    processes: int = 1
    connection_limit: int = CONNECTION_LIMIT
    client_timeout: int = CLIENT_TIMEOUT
    timeout: int = WORKER_TIMEOUT
    access_log: str | None = None  # a file, or None: stderr (gunicorn only)
    reuse_port: bool = False
    base_url: str | None = None
    shard_urls: tuple[str, ...] = ()  # Xapian shards served by xapian-tcpsrv
    allow_partial: bool = False
    # The site's settings (search.settings), read again by each new worker (SIGHUP).
    site: Callable[[], Settings] | None = None

    def create_app(self, config: dict):
        """The app of one process: its settings (instance file again), then ``config``."""
        from . import create_app

        return create_app(config, settings=self.site() if self.site else None)

    @property
    def gunicorn(self) -> bool:
        """Whether these options run gunicorn (several processes, where it can)."""
        return self.processes > 1 and has_gunicorn()

    @property
    def thread_count(self) -> int:
        """Threads per process: as asked, or the default of the server that runs."""
        if self.threads is not None:
            return self.threads
        return GTHREAD_THREADS if self.gunicorn else THREADS

    @property
    def reader_files(self) -> int:
        """Files one thread's readers of the index hold open (each thread has its own)."""
        if self.shard_urls:  # a socket per shard, and the vocabulary
            return len(self.shard_urls) + 2
        from search.backends import backend_of
        from search.index import read_meta

        if backend_of(self.index_dir) != "xapian":
            return WHOOSH_READER_FILES
        try:
            shards = int((read_meta(Path(self.index_dir)) or {}).get("shards", 1))
        except (SearchError, ValueError, TypeError):
            shards = 1
        # Two handles (the second counts facets; search/backends/xapian_query.py).
        return 2 * XAPIAN_SHARD_FILES * shards + 2

    def app_config(self) -> dict:
        """The Flask configuration these options give (see web.create_app)."""
        config: dict[str, object] = {"INDEX_DIR": str(Path(self.index_dir).resolve())}
        if self.base_url:
            config["BASE_URL"] = self.base_url
        if self.shard_urls:
            config["SHARD_URLS"] = list(self.shard_urls)
            config["ALLOW_PARTIAL"] = self.allow_partial
        return config


def cpus() -> int:
    """CPUs this process may run on (the default number of server processes)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def has_gunicorn() -> bool:
    """Whether several server processes are possible here (gunicorn: Unix only)."""
    if sys.platform == "win32":
        return False
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True


def allow_files(connection_limit: int, reserved: int = 0) -> int:
    """Raise this process's open-file limit for ``connection_limit`` connections, beside
    ``reserved`` files (the index files its threads hold open).

    Returns the connection limit that fits under the hard limit.
    """
    try:
        import resource
    except ImportError:  # not Unix
        return connection_limit
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    spare = SPARE_FILES + reserved
    want = connection_limit + spare
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
    return max(1, min(connection_limit, soft - spare))


def _urls(listen: list[tuple[str, int]], host: str) -> str:
    """URLs of (host, port) listening addresses; one address is shown with the host as given."""
    if len(listen) == 1:
        return f"http://{host}:{listen[0][1]}/"
    return ", ".join(f"http://{h if ':' not in h else f'[{h}]'}:{p}/" for h, p in listen)


def _announce(opts: ServeOptions, listen: list[tuple[str, int]], how: str) -> None:
    """The start-up line (tests and bench/load.py read the port from it)."""
    click.echo(
        f"vnsearch: đang phục vụ {opts.index_dir} tại {_urls(listen, opts.host)} "
        f"({how}; Ctrl+C để dừng)",
        err=True,
    )


# --- several processes: gunicorn ----------------------------------------------------


def gunicorn_settings(opts: ServeOptions) -> dict:
    """gunicorn settings for ``opts``: gthread workers, limits, logs, the start-up line."""
    host = f"[{opts.host}]" if ":" in opts.host else opts.host

    def when_ready(arbiter) -> None:
        # The arbiter has bound the port (maybe a free one, --port 0): say where. With
        # --reuse-port, gunicorn >= 24 binds none: each worker binds its own socket.
        listen = [lst.sock.getsockname()[:2] for lst in arbiter.LISTENERS]
        listen = listen or [(opts.host, opts.port)]
        _announce(opts, listen, f"{opts.processes} tiến trình × {opts.thread_count} luồng")

    def post_worker_init(worker) -> None:
        # From here on the worker beats its heartbeat (--timeout counts from then).
        worker.log.info("vnsearch: worker %s ready", worker.pid)

    return {
        "bind": [f"{host}:{opts.port}"],
        "workers": opts.processes,
        "worker_class": "gthread",
        "threads": opts.thread_count,
        "worker_connections": allow_files(
            opts.connection_limit, opts.thread_count * opts.reader_files
        ),
        "timeout": opts.timeout,
        "graceful_timeout": opts.timeout or WORKER_TIMEOUT,
        # Idle keep-alive connections, and new ones that send nothing, close after this.
        "keepalive": opts.client_timeout,
        "reuse_port": opts.reuse_port,
        "accesslog": (
            (opts.access_log or "-") if opts.site is None or opts.site().access_log else None
        ),
        "logger_class": _logger_class(),
        "errorlog": "-",
        "loglevel": "info",
        # The longest request line gunicorn accepts (its default, 4094 bytes, is short for
        # a search with many facets in its URL).
        "limit_request_line": 8190,
        "proc_name": "vnsearch",
        "when_ready": when_ready,
        "post_worker_init": post_worker_init,
        # gunicorn >= 25 opens a control socket at one path in the user's home by
        # default: a second server of the same user would take it over.
        "control_socket_disable": True,
    }


def _logger_class():
    """gunicorn's logger, with the access log on stderr ("-") rather than stdout."""
    from gunicorn.glogging import Logger

    class StderrAccessLogger(Logger):
        def setup(self, cfg) -> None:
            super().setup(cfg)
            for handler in self.access_log.handlers:
                if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
                    handler.setStream(sys.stderr)

    return StderrAccessLogger


def serve_gunicorn(opts: ServeOptions) -> None:
    """Run the site under gunicorn until SIGINT or SIGTERM (exits the process)."""
    from gunicorn.app.base import BaseApplication

    settings = gunicorn_settings(opts)
    # gunicorn writes the access log (with the answers it gives itself): the app's own
    # access log would repeat every line.
    config = {**opts.app_config(), "ACCESS_LOG": False}

    class Site(BaseApplication):
        """gunicorn's embedding API: settings from ``opts``; each worker creates the app."""

        def load_config(self) -> None:
            for key, value in settings.items():
                if key in self.cfg.settings:  # an older gunicorn lacks the newest settings
                    self.cfg.set(key, value)

        def load(self):
            return opts.create_app(config)

    Site().run()


# --- one process: waitress ----------------------------------------------------------


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


def make_server(app, connection_limit: int, client_timeout: int, **where):
    """A hardened waitress server for ``app`` (``where``: host, port, threads)."""
    from waitress import create_server

    server = create_server(
        app, ident="vnsearch", **where, **server_options(connection_limit, client_timeout)
    )
    for listener in _wsgi_servers(server):
        _harden(listener, client_timeout)
    return server


def _harden(listener, client_timeout: int) -> None:
    """Security headers on waitress's own error answers; a deadline for whole requests.

    Waitress answers some requests without calling the app: a request line it
    cannot parse (raw non-ASCII bytes, spaces), headers or a body over its
    limits. Those plain-text 400/413/431 responses get the same headers as
    every page of the site, and the no-store of every error.

    Waitress only closes a connection idle for ``channel_timeout``: a client
    that trickles a header byte now and then (slowloris) keeps it forever. Each
    channel notes when its pending request began; the periodic maintenance
    closes it once that is older than the timeout and no answer is under way.
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
            pending = self.request
            result = super().received(data)
            if self.request is not None and self.request is not pending:
                self.request_began = time.time()
            return result

    listener.channel_class = SecureChannel
    original = listener.maintenance

    def maintenance(now):
        original(now)
        cutoff = now - client_timeout
        for channel in list(listener.active_channels.values()):
            began = getattr(channel, "request_began", None)
            if channel.request is not None and not channel.requests and began and began < cutoff:
                channel.will_close = True  # closed by the next loop pass

    listener.maintenance = maintenance


def _wsgi_servers(server) -> list:
    """The listening waitress servers behind what create_server returned."""
    from waitress.server import BaseWSGIServer

    return (
        [server]
        if isinstance(server, BaseWSGIServer)
        else [s for s in server.map.values() if isinstance(s, BaseWSGIServer)]
    )


def serve_waitress(opts: ServeOptions) -> None:
    """Run the site under waitress in this process until Ctrl+C."""
    server = make_server(
        opts.create_app(opts.app_config()),
        allow_files(opts.connection_limit, opts.thread_count * opts.reader_files),
        opts.client_timeout,
        host=opts.host,
        port=opts.port,
        threads=opts.thread_count,
    )
    if hasattr(server, "effective_port"):
        listen = [(opts.host, server.effective_port)]
    else:
        listen = list(server.effective_listen)
    _announce(opts, listen, f"{opts.thread_count} luồng")
    if threading.current_thread() is threading.main_thread():
        # SIGINT stops the server, as under gunicorn, even when it was started
        # with SIGINT ignored (a shell's `&` does that, and exec keeps it):
        # Python then installs no handler of its own.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def run(opts: ServeOptions) -> None:
    """Serve the site as ``opts`` say: gunicorn for several processes, else waitress."""
    if opts.processes > 1 and has_gunicorn():
        serve_gunicorn(opts)
    else:
        serve_waitress(opts)


# --- the command --------------------------------------------------------------------


def serve_options(**options) -> ServeOptions:
    """``vnsearch serve``'s options (as click parsed them) as one ServeOptions."""
    opts = ServeOptions(**options)
    if opts.reuse_port and opts.port == 0:
        # Each gunicorn worker binds the port itself: port 0 would give each another one.
        raise click.UsageError("--reuse-port cần một cổng cố định: hãy đặt --port khác 0.")
    return opts


def _as_text(ctx, param, value):
    """A path from the settings as the text a click.Path option gives."""
    return None if value is None else str(value)


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
    callback=site_settings.option("index"),
    help="Index folder.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    callback=site_settings.option("host"),
    help="Address to listen on (0.0.0.0 for every interface).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    callback=site_settings.option("port"),
    help="Port to listen on.",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 1024),
    callback=site_settings.option("threads"),
    show_default=f"{THREADS}; {GTHREAD_THREADS} with several processes",
    help="Threads answering requests in each process (with several processes, each "
    "client still sending its request holds one).",
)
@click.option(
    "--processes",
    type=click.IntRange(1, 256),
    default=cpus,
    callback=site_settings.option("processes"),
    show_default="number of CPUs",
    help="Server processes (gunicorn workers; Unix only, one process elsewhere).",
)
@click.option(
    "--connection-limit",
    type=click.IntRange(10, 100_000),
    default=CONNECTION_LIMIT,
    callback=site_settings.option("connection_limit"),
    show_default=True,
    help="Open connections per process; more wait to be accepted.",
)
@click.option(
    "--client-timeout",
    type=click.IntRange(1, 3600),
    default=CLIENT_TIMEOUT,
    callback=site_settings.option("client_timeout"),
    show_default=True,
    help="Seconds a client may stay idle (or, with one process, take to send a "
    "request) before its connection is closed.",
)
@click.option(
    "--timeout",
    type=click.IntRange(0, 3600),
    default=WORKER_TIMEOUT,
    callback=site_settings.option("worker_timeout"),
    show_default=True,
    help="Seconds a worker process may go without a heartbeat (stuck) before it is "
    "replaced, 0: never; also the time its requests get to finish on SIGTERM or SIGHUP. "
    "Several processes only.",
)
@click.option(
    "--access-log",
    type=click.Path(dir_okay=False, writable=True),
    callback=site_settings.option("access_log_file", then=_as_text),
    metavar="FILE",
    help="Write the access log to FILE (default: stderr). Several processes only.",
)
@click.option(
    "--reuse-port",
    is_flag=True,
    callback=site_settings.option("reuse_port"),
    help="Listen with SO_REUSEPORT (needs a fixed --port): the kernel spreads "
    "connections over the workers, and another server can bind the same port (e.g. "
    "during an upgrade). Several processes only.",
)
@click.option(
    "--base-url",
    callback=site_settings.option("base_url", then=_check_base_url),
    metavar="URL",
    help="Public address of the site (e.g. https://example.org/tim-kiem): "
    "absolute links in feeds and OpenSearch use it instead of the request's "
    "Host header.",
)
@click.option(
    "--shard-url",
    "shard_urls",
    multiple=True,
    metavar="tcp://HOST:PORT",
    callback=site_settings.option("shard_urls"),
    help="A shard of a Xapian index served by xapian-tcpsrv (repeat, in shard order): "
    "searched instead of the index folder's own shards.",
)
@click.option(
    "--allow-partial",
    is_flag=True,
    callback=site_settings.option("allow_partial"),
    help="With --shard-url: when a shard does not answer, search the others and say "
    "so on the page (default: a 503 page).",
)
def serve(**options):
    """Serve the search site and its JSON API.

    Pages: / (home), /search, /articles/<id>; JSON: /api/search, /api/articles/<id>;
    Atom: /search.atom. The index may be missing at start or rebuilt while the site
    runs (`vnsearch index` in another terminal): new articles appear without a restart.

    Python runs one thread at a time, so one process uses about one core. With
    --processes N > 1 the site runs under gunicorn: N worker processes with
    --threads threads each. SIGTERM stops them gracefully, SIGINT at once; SIGHUP
    starts new workers (which read the index folder and instance config afresh) and
    then stops the old ones; a worker that dies, or misses its heartbeat for
    --timeout seconds, is replaced. --processes 1, or a platform without
    gunicorn, serves from this one process with waitress.

    On the public internet, put a reverse proxy that buffers requests in front
    (nginx; see the README): it also adds the security headers to the error
    answers gunicorn gives itself (malformed requests).
    """
    if options.get("shard_urls"):
        # Before serving: a wrong --shard-url would otherwise fail every request.
        from search import backends

        try:
            backends.check_shard_urls(options["index_dir"], options["shard_urls"])
        except SearchError as e:
            raise click.ClickException(str(e)) from None
    run(serve_options(**options, site=site_settings.again()))
