"""Why an input was skipped: a stable English code for programs, a Vietnamese reason for people.

Every input file or record that cannot become an article is reported with
both (``Skipped.code``/``Skipped.reason``, ``BadArticle.code``/``.reason``, the
``code``/``reason`` of each skipped entry in the index summary): people read the
reason, programs compare the code, which never changes with the wording.
"""

from __future__ import annotations

import errno
import gzip
import json
import zlib

from .budget import OverBudget

# The codes (stable identifiers; the wording of the reasons may change).
NOT_FOUND = "not_found"
BROKEN_LINK = "broken_link"
UNSUPPORTED = "unsupported_type"
TOO_LARGE = "too_large"
UNREADABLE = "unreadable"
LINE_TOO_LONG = "line_too_long"
BAD_JSON = "bad_json"
NOT_OBJECT = "not_object"
NO_ID = "no_id"
BAD_ID = "bad_id"
DUPLICATE_ID = "duplicate_id"
EMPTY = "empty"
BINARY = "binary"
UNDECODABLE = "undecodable"
NO_TEXT = "no_text"
TOO_SLOW = "too_slow"
TOO_DEEP = "too_deep"
OUT_OF_MEMORY = "out_of_memory"
PARSE_ERROR = "parse_error"
NO_RECORDS = "no_records"
NOT_REGULAR = "not_regular"

# Python's json messages (json.decoder, 3.11 to 3.14) in Vietnamese; another one is kept as is.
_JSON_MESSAGES = {
    "Expecting value": "thiếu giá trị",
    "Expecting ',' delimiter": "thiếu dấu ','",
    "Expecting ':' delimiter": "thiếu dấu ':'",
    "Expecting property name enclosed in double quotes": "tên trường phải nằm trong ngoặc kép",
    "Unterminated string starting at": "chuỗi không có dấu ngoặc kép đóng",
    "Invalid control character at": "ký tự điều khiển trong chuỗi",
    "Invalid \\escape": "chuỗi thoát \\ không hợp lệ",
    "Invalid \\uXXXX escape": "chuỗi thoát \\uXXXX không hợp lệ",
    "Extra data": "thừa dữ liệu sau giá trị JSON",
    "Illegal trailing comma before end of object": "thừa dấu ',' trước '}'",
    "Illegal trailing comma before end of array": "thừa dấu ',' trước ']'",
}
# OS errors a person meets when reading inputs; another one keeps the system's own words.
_OS_ERRORS = {
    errno.ENOENT: "không tồn tại",
    errno.EACCES: "không có quyền đọc",
    errno.EPERM: "không có quyền đọc",
    errno.EISDIR: "là một thư mục",
    errno.EIO: "lỗi vào/ra của ổ đĩa",
    errno.ELOOP: "vòng lặp liên kết tượng trưng",
    errno.ENAMETOOLONG: "tên quá dài",
}


def megabytes(n: int) -> str:
    """``n`` bytes as whole mebibytes."""
    return f"{n // (1024 * 1024)} MB"


def too_large(limit: int, size: int) -> str:
    """An input file over the size limit."""
    return f"lớn hơn {megabytes(limit)} ({size} byte)"


def line_too_long(limit: int) -> str:
    """A JSON line over the line limit."""
    return f"dòng dài hơn {limit} byte"


def no_records(lines: int) -> str:
    """The rest of a JSON-lines file after this many lines in a row that held no article."""
    return (
        f"{lines} dòng liên tiếp không có bài viết nào (dòng trống hoặc hỏng): "
        "phần còn lại của tệp bị bỏ qua"
    )


def unsupported(suffix: str) -> str:
    """A file whose type is not indexed."""
    return f"loại tệp không được hỗ trợ: {suffix or '(không có đuôi)'}"


def duplicate_id(article_id: str) -> str:
    """A record whose id came earlier in the same run."""
    return f"trùng id {article_id!r} với một bản ghi trước đó"


def unreadable(e: BaseException) -> str:
    """An input that the system (or gzip) cannot read."""
    return f"không đọc được: {read_error(e)}"


def read_error(e: BaseException) -> str:
    """Why the system (or gzip) could not read a file, in Vietnamese where it is a common case."""
    if isinstance(e, gzip.BadGzipFile):
        return "không phải tệp gzip"
    if isinstance(e, EOFError):
        return "tệp gzip bị cắt cụt"
    if isinstance(e, zlib.error):
        return "dữ liệu gzip bị hỏng"
    if isinstance(e, OSError) and e.errno in _OS_ERRORS:
        return _OS_ERRORS[e.errno]
    return getattr(e, "strerror", None) or str(e) or type(e).__name__


def bad_json(e: BaseException) -> str:
    """A line that is not JSON, with where and why when json says so."""
    if isinstance(e, json.JSONDecodeError):
        what = _JSON_MESSAGES.get(e.msg, e.msg)
        return f"dòng JSON không hợp lệ ({what}, cột {e.colno})"
    if isinstance(e, UnicodeDecodeError):
        return f"dòng JSON không hợp lệ (không phải UTF-8 hợp lệ, lỗi ở byte {e.start})"
    if isinstance(e, ValueError):
        return f"dòng JSON không hợp lệ ({e})"
    return f"dòng JSON không hợp lệ ({failure(e)[1]})"


def too_slow(seconds: float | None) -> str:
    """The reason given for a record over its CPU budget (None: an outer call's budget)."""
    if seconds is None:
        return "phân tích quá lâu"
    return f"phân tích quá lâu (quá {seconds:g} giây)"


def no_answer(seconds: float) -> str:
    """A record whose worker process did not answer in time."""
    return f"phân tích quá lâu (không có phản hồi sau {seconds:g} giây)"


def failure(e: BaseException) -> tuple[str, str]:
    """(code, reason) of an unexpected error while reading or parsing one record."""
    if isinstance(e, OverBudget):
        return TOO_SLOW, too_slow(None)
    if isinstance(e, RecursionError):
        return TOO_DEEP, "lồng quá sâu, không phân tích được"
    if isinstance(e, MemoryError):
        return OUT_OF_MEMORY, "quá lớn, không phân tích được (hết bộ nhớ)"
    # The detail is the library's own (English) text: kept for whoever fixes it.
    detail = " ".join(str(e).split())[:120]
    return (
        PARSE_ERROR,
        f"không phân tích được ({type(e).__name__}{': ' + detail if detail else ''})",
    )
