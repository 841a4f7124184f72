"""``vnsearch serve``: the web site under waitress (registered through an entry point)."""
from __future__ import annotations

from pathlib import Path

import click

from search.paths import default_index


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
    click.echo(f"vnsearch: serving {index_dir} on http://{host}:{server.effective_port}/ "
               f"({threads} threads; Ctrl+C to stop)", err=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
