"""The JSON twins of the HTML pages (the same objects as ``vnsearch search/show --json``)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from search.query import MAX_QUERY_CHARS

from .complete import get_completer
from .engine import get_engine
from .params import collapse_arg, province_view, search_kwargs

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.route("/search")
def search():
    """``SearchResult.to_dict()`` of the search in the query arguments."""
    kwargs = search_kwargs(request.args, current_app.config["PER_PAGE"])
    return jsonify(
        get_engine()
        .search(
            **kwargs, collapse=collapse_arg(request.args), map_level=province_view(request.args)
        )
        .to_dict()
    )


@bp.route("/articles/<path:article_id>", merge_slashes=False)
def article(article_id):
    """``Article.to_dict()`` of one article.

    :raise 404: if there is no article with this id.
    """
    return jsonify(get_engine().article(article_id).to_dict())


@bp.route("/suggest")
def suggest():
    """Completions of the last word of ``q`` and ``q`` with accents restored (as you type)."""
    q = request.args.get("q", "")[:MAX_QUERY_CHARS]  # as much as a search reads
    return jsonify(get_completer().complete(q).to_dict())
