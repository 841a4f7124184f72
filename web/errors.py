"""One place that turns errors into responses: JSON under /api/, a Vietnamese page elsewhere.

Library errors (:class:`~search.errors.SearchError`) carry their HTTP status;
HTTP errors keep theirs. An unexpected error while reading the index files (a
truncated table of contents or segment the library did not name) is answered
as :class:`~search.errors.IndexDamaged`, a 503; anything else is a 500. Never a
traceback.
"""

from __future__ import annotations

import pickle
import sqlite3
import struct
import zlib
from pathlib import Path

from flask import current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from search.errors import (
    ArticleNotFound,
    BadQuery,
    IndexChanged,
    IndexDamaged,
    IndexMissing,
    IndexOutdated,
    SearchError,
    ShardUnavailable,
)

TITLES = {
    IndexMissing: "Chưa có chỉ mục tìm kiếm",
    IndexOutdated: "Chỉ mục cần được xây dựng lại",
    IndexDamaged: "Chỉ mục bị hỏng",
    ShardUnavailable: "Một phần chỉ mục không trả lời",
    IndexChanged: "Chỉ mục đang được cập nhật",
    ArticleNotFound: "Không tìm thấy bài viết",
    BadQuery: "Yêu cầu tìm kiếm không hợp lệ",
}
HTTP_TITLES = {
    400: "Yêu cầu không hợp lệ",
    404: "Không tìm thấy trang",
    405: "Phương thức không được hỗ trợ",
    500: "Đã xảy ra lỗi",
    503: "Dịch vụ tạm thời không sẵn sàng",
}
# What a reader is told, on the page and in the JSON API (the library's own
# messages of these errors are for the operator and may name the server's paths).
MESSAGES = {
    IndexMissing: "Máy chủ chưa có chỉ mục để tìm kiếm.",
    IndexOutdated: "Chỉ mục được tạo bởi một phiên bản khác của vnsearch.",
    IndexDamaged: "Máy chủ không đọc được một tệp của chỉ mục tìm kiếm, nên tạm thời "
    "không thể tìm kiếm hay hiển thị bài viết.",
    ShardUnavailable: "Một máy chủ giữ một phần chỉ mục (shard) không trả lời, nên kết quả "
    "sẽ không đầy đủ; tạm thời không thể tìm kiếm.",
    IndexChanged: "Chỉ mục đang được cập nhật liên tục nên chưa đọc được; hãy thử lại sau "
    "giây lát.",
    ArticleNotFound: "Không có bài viết nào với mã này.",
    BadQuery: "Một tham số trong địa chỉ không hợp lệ (trang, số kết quả mỗi trang, sắp xếp, "
    "năm, ngày tháng hoặc quá nhiều bộ lọc).",
}
HTTP_MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    404: "Trang bạn tìm không tồn tại.",
    405: "Địa chỉ này không nhận phương thức yêu cầu đó.",
    500: "Máy chủ gặp sự cố khi xử lý yêu cầu.",
    503: "Dịch vụ tạm thời không sẵn sàng.",
}
# Stable English names of the problems, beside the Vietnamese message in JSON
# answers (a BadQuery carries its own: bad_date, bad_page, …).
CODES = {
    IndexMissing: "index_missing",
    IndexOutdated: "index_outdated",
    IndexDamaged: "index_damaged",
    ShardUnavailable: "shard_unavailable",
    IndexChanged: "index_changing",
    ArticleNotFound: "article_not_found",
}
HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    500: "internal_error",
    503: "unavailable",
}
HINTS = {
    IndexMissing: "Hãy chạy lệnh vnsearch index; trang sẽ hoạt động ngay khi có chỉ mục, "
    "không cần khởi động lại.",
    IndexOutdated: "Hãy chạy lại lệnh vnsearch index để cập nhật chỉ mục.",
    IndexDamaged: "Quản trị viên hãy chạy lệnh vnsearch check để xem tệp nào bị hỏng, "
    "rồi vnsearch index --rebuild để xây dựng lại chỉ mục từ các tệp nguồn.",
    ShardUnavailable: "Quản trị viên hãy kiểm tra các tiến trình xapian-tcpsrv (hoặc chạy "
    "vnsearch serve --allow-partial để tìm trên các shard còn lại).",
}
# What a damaged index file raises from inside the reading code when the library
# does not name it (pickle, struct, zlib on truncated data; a vanished file).
READ_ERRORS = (
    EOFError,
    struct.error,
    zlib.error,
    pickle.UnpicklingError,
    OSError,
    sqlite3.DatabaseError,
)
# Whoosh's modules that read index files: any error raised in one is about the files.
READERS = (
    "whoosh.index",
    "whoosh.filedb",
    "whoosh.codec",
    "whoosh.system",
    "whoosh.util.struct",
    "whoosh.util.numlists",
    "whoosh.util.varints",
)


def init_app(app) -> None:
    """Register the error handlers."""
    app.register_error_handler(SearchError, handle_search_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)


def handle_search_error(e: SearchError):
    """A library error, with the status its class carries."""
    if e.status >= 500:
        # The reader is told what to do; the operator's log says why (paths included).
        current_app.logger.warning(
            "answering %d on %s: %s: %s", e.status, request.path, type(e).__name__, e
        )
    title = TITLES.get(type(e), HTTP_TITLES.get(e.status, "Đã xảy ra lỗi"))
    message = MESSAGES.get(type(e), HTTP_MESSAGES.get(e.status, ""))
    hint = HINTS.get(type(e))
    if isinstance(e, BadQuery):
        # Its own message says which argument and why (in Vietnamese).
        return respond(e.status, title, str(e), message, api_message=str(e), code=e.code)
    # The library's other messages are for the operator and may name server paths.
    return respond(
        e.status,
        title,
        message,
        hint,
        api_message=" ".join(m for m in (message, hint) if m),
        code=CODES.get(type(e), HTTP_CODES.get(e.status, "error")),
    )


def handle_http_error(e: HTTPException):
    """404 for an unknown page, 405, and the like."""
    status = e.code or 500
    # A 405 names the methods the URL accepts (RFC 9110, "Allow").
    headers = (
        {"Allow": ", ".join(e.valid_methods)}
        if isinstance(e, MethodNotAllowed) and e.valid_methods
        else None
    )
    return respond(
        status,
        HTTP_TITLES.get(status, e.name),
        HTTP_MESSAGES.get(status, ""),
        api_message=HTTP_MESSAGES.get(status) or e.description,
        headers=headers,
        code=HTTP_CODES.get(status, "http_error"),
    )


def handle_unexpected(e: Exception):
    """Anything else: logged, then a plain 500 page (never a traceback).

    An error from reading the index files is a damaged index: a 503 that says what to do.
    """
    if about_index(e):
        # One line: the fix is `vnsearch check`, not this stack.
        current_app.logger.error("damaged index on %s: %s: %s", request.path, type(e).__name__, e)
        return handle_search_error(IndexDamaged(f"{type(e).__name__} reading the index"))
    current_app.logger.exception("unhandled error on %s", request.path)
    return respond(500, HTTP_TITLES[500], HTTP_MESSAGES[500], code=HTTP_CODES[500])


def about_index(e: BaseException) -> bool:
    """Whether ``e`` came from reading the index's files rather than from a bug.

    Any exception raised inside Whoosh's file-reading modules, or one of
    READ_ERRORS raised while Whoosh or the library's index code was on the stack
    (an OSError only for a file inside the index folder).
    """
    modules = []
    tb = e.__traceback__
    while tb is not None:
        modules.append(tb.tb_frame.f_globals.get("__name__", ""))
        tb = tb.tb_next
    if modules and modules[-1].startswith(READERS):
        return True
    if not isinstance(e, READ_ERRORS):
        return False
    if isinstance(e, OSError):
        return e.filename is not None and _inside_index(e.filename)
    return any(m == "whoosh" or m.startswith(("whoosh.", "search.")) for m in modules)


def _inside_index(filename) -> bool:
    """Whether ``filename`` is in the app's index folder."""
    try:
        index = Path(current_app.config["INDEX_DIR"]).resolve()
        return Path(filename).resolve().is_relative_to(index)
    except (OSError, ValueError, TypeError):
        return False


def respond(
    status: int,
    title: str,
    message: str,
    hint: str | None = None,
    api_message: str | None = None,
    headers: dict | None = None,
    code: str = "error",
):
    """JSON under /api/, else the (Vietnamese) error page.

    The JSON: ``{"error": message, "code": code, "message": message, "status": …,
    "title": …}``: ``error`` and ``message`` are the same Vietnamese sentence
    (``error`` kept for older clients), ``code`` a stable English name.
    """
    if request.path.startswith("/api/") or request.path == "/api":
        text = api_message or message
        body = jsonify(
            {"error": text, "code": code, "message": text, "status": status, "title": title}
        )
        return body, status, headers or {}
    return (
        render_template("error.html", status=status, title=title, message=message, hint=hint),
        status,
        headers or {},
    )
