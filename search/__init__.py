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
    "Article",
    "ArticleNotFound",
    "BadArticle",
    "BadQuery",
    "Engine",
    "FacetValue",
    "Hit",
    "IndexLocked",
    "IndexMissing",
    "IndexOutdated",
    "IndexReport",
    "SearchError",
    "SearchResult",
    "__version__",
    "analyze",
    "canonical",
    "fold",
    "index_paths",
    "normalize_text",
    "search",
]
