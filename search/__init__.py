"""vnsearch: full-text search for Vietnamese local-government news (core library)."""

from .analysis import analyze, canonical, fold, normalize_text
from .article import Article
from .engine import Engine, search
from .errors import (
    ArticleNotFound,
    BadArticle,
    BadQuery,
    IndexLocked,
    IndexMissing,
    IndexOutdated,
    SearchError,
)
from .ingest import IndexReport, index_paths
from .results import FacetValue, Hit, SearchResult

# The one version of vnsearch: setup.cfg reads it (`attr:`), `vnsearch --version` prints it.
__version__ = "0.1.0"

__all__ = [
    "analyze",
    "canonical",
    "fold",
    "normalize_text",
    "Article",
    "Engine",
    "search",
    "ArticleNotFound",
    "BadArticle",
    "BadQuery",
    "IndexLocked",
    "IndexMissing",
    "IndexOutdated",
    "SearchError",
    "IndexReport",
    "index_paths",
    "FacetValue",
    "Hit",
    "SearchResult",
    "__version__",
]
