"""Named errors of the core library; the CLI and the web app map them at their edge."""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

# What a write that stopped on an OS error keeps, said after the reason.
LAST_WRITE_KEPT = "lần ghi đã hoàn tất gần nhất của chỉ mục vẫn nguyên vẹn"
# What a failed vocabulary update keeps.
VOCAB_REPAIRED_NEXT = "chỉ mục vẫn nguyên vẹn và lần `vnsearch index` tiếp theo sẽ sửa từ vựng"


class SearchError(Exception):
    """Base class: every error the library raises on purpose."""

    status = 500


class IndexMissing(SearchError):
    """No index at the given location (or not readable as one)."""

    status = 503

    @classmethod
    def at(cls, path, detail: object = None) -> IndexMissing:
        """The error for ``path``, with what the engine said (``detail``) if anything."""
        more = f" ({detail})" if detail is not None else ""
        return cls(f"chưa có chỉ mục ở {path}: hãy tạo bằng lệnh `vnsearch index`{more}")


class IndexOutdated(SearchError):
    """The index was built by another schema version and must be rebuilt."""

    status = 503


class IndexDamaged(SearchError):
    """The index exists but a file of it cannot be read (see `vnsearch check`)."""

    status = 503


class IndexChanged(SearchError):
    """The index changed under a reader again and again while it read (Xapian keeps only
    the last revisions: a reader that falls behind is told to reopen, and retries)."""

    status = 503


class ShardUnavailable(SearchError):
    """A shard of a distributed index (xapian-tcpsrv) does not answer."""

    status = 503


class IndexLocked(SearchError):
    """Another process holds the index's write lock."""

    status = 409


class WriteFailed(SearchError):
    """An OS error (disk full, read-only file system) while writing the index or its files."""

    status = 507


def write_reason(e: OSError) -> str:
    """Why a write failed, in the user's words: a full disk said so, else the OS's reason."""
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return "ổ đĩa đã đầy"
    return f"{e.strerror or e}" + (f" ({e.filename})" if e.filename else "")


@contextmanager
def write_failures(
    failed: str,
    kept: str,
    vocab_failed: str,
    vocab_kept: str,
    vocab_errors: type[sqlite3.Error] = sqlite3.OperationalError,
) -> Iterator[None]:
    """OS errors and the vocabulary's SQLite errors inside, as one-line WriteFailed:
    "<what failed>: <why>; <what is kept>"."""
    try:
        yield
    except OSError as e:
        raise WriteFailed(f"{failed}: {write_reason(e)}; {kept}") from e
    except vocab_errors as e:
        raise WriteFailed(f"{vocab_failed}: {e}; {vocab_kept}") from e


class ArticleNotFound(SearchError):
    """No article with the given id."""

    status = 404


class BadQuery(SearchError):
    """A query argument outside what the engine accepts (page, per_page, dates).

    The message is for people (Vietnamese); ``code`` names the problem for programs.
    """

    status = 400

    def __init__(self, message: str, code: str = "bad_query"):
        super().__init__(message)
        self.code = code


class BadArticle(SearchError):
    """An input file or record that cannot become an article.

    ``reason`` is for people (Vietnamese); ``code`` names it for programs (search.reasons).
    """

    status = 422

    def __init__(self, source: str, reason: str, code: str = "parse_error"):
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason
        self.code = code


class BadSetting(SearchError):
    """A setting (instance file, VNSEARCH_* variable) with a value vnsearch cannot use."""

    status = 500
