"""``vnsearch serve``: the web site under waitress (registered through an entry point)."""
from __future__ import annotations

from pathlib import Path

import click

from search.paths import default_index


def harden(server) -> None:
    """Give waitress's own error answers the site's security headers.

    Waitress answers some requests without calling the app: a request line it
    cannot parse (raw non-ASCII bytes, spaces), headers or a body over its
    limits. Those plain-text 400/413/431 responses get the same headers as
    every page of the site.
    """
    from waitress.channel import HTTPChannel
    from waitress.server import BaseWSGIServer
    from waitress.task import ErrorTask

    from . import SECURITY_HEADERS

    class SecureErrorTask(ErrorTask):
        def execute(self):
            self.response_headers.extend(SECURITY_HEADERS.items())
            super().execute()

    class SecureChannel(HTTPChannel):
        error_task_class = SecureErrorTask

    servers = [server] if isinstance(server, BaseWSGIServer) else \
        [s for s in server.map.values() if isinstance(s, BaseWSGIServer)]
    for s in servers:
        s.channel_class = SecureChannel


def _listening(server, host: str) -> str:
    """The address(es) a waitress server listens on, as URLs."""
    if hasattr(server, "effective_port"):
        return f"http://{host}:{server.effective_port}/"
    return ", ".join(f"http://{h if ':' not in h else f'[{h}]'}:{p}/"
                     for h, p in server.effective_listen)


@click.command()
@click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path),
              default=default_index, show_default="index/", help="Index folder.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for every interface).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on.")
@click.option("--threads", type=click.IntRange(1, 256), default=8, show_default=True,
              help="Worker threads answering requests.")
def serve(index_dir, host, port, threads):
    """Serve the search site and its JSON API with waitress.

    Pages: / (home), /search, /articles/<id>; JSON: /api/search, /api/articles/<id>;
    Atom: /search.atom. The index may be missing at start or rebuilt while the site
    runs (`vnsearch index` in another terminal): new articles appear without a restart.
    """
    from waitress import create_server

    from . import create_app

    app = create_app({"INDEX_DIR": str(Path(index_dir).resolve())})
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
