"""One place that turns errors into responses: JSON under /api/, a Vietnamese page elsewhere.

Library errors (:class:`~search.errors.SearchError`) carry their HTTP status;
HTTP errors keep theirs; anything else is a 500 without a traceback.
"""
from __future__ import annotations

from flask import current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from search.errors import (ArticleNotFound, BadQuery, IndexMissing, IndexOutdated,
                           SearchError)

TITLES = {
    IndexMissing: "Chưa có chỉ mục tìm kiếm",
    IndexOutdated: "Chỉ mục cần được xây dựng lại",
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
# What a reader is told; the library's own (English) message goes to the JSON
# API, except where it would reveal the server's paths.
MESSAGES = {
    IndexMissing: "Máy chủ chưa có chỉ mục để tìm kiếm.",
    IndexOutdated: "Chỉ mục được tạo bởi một phiên bản khác của vnsearch.",
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
API_MESSAGES = {
    IndexMissing: "the search index is not available yet",
    IndexOutdated: "the search index must be rebuilt",
}
HINTS = {
    IndexMissing: "Hãy chạy lệnh vnsearch index; trang sẽ hoạt động ngay khi có chỉ mục, "
                  "không cần khởi động lại.",
    IndexOutdated: "Hãy chạy lại lệnh vnsearch index để cập nhật chỉ mục.",
}


def init_app(app) -> None:
    """Register the error handlers."""
    app.register_error_handler(SearchError, handle_search_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)


def handle_search_error(e: SearchError):
    """A library error, with the status its class carries."""
    title = TITLES.get(type(e), HTTP_TITLES.get(e.status, "Đã xảy ra lỗi"))
    return respond(e.status, title, MESSAGES.get(type(e), HTTP_MESSAGES.get(e.status, "")),
                   HINTS.get(type(e)), api_message=API_MESSAGES.get(type(e), str(e)))


def handle_http_error(e: HTTPException):
    """404 for an unknown page, 405, and the like."""
    status = e.code or 500
    # A 405 names the methods the URL accepts (RFC 9110, "Allow").
    headers = {"Allow": ", ".join(e.valid_methods)} \
        if isinstance(e, MethodNotAllowed) and e.valid_methods else None
    return respond(status, HTTP_TITLES.get(status, e.name), HTTP_MESSAGES.get(status, ""),
                   api_message=e.description, headers=headers)


def handle_unexpected(e: Exception):
    """Anything else: logged, then a plain 500 page (never a traceback)."""
    current_app.logger.exception("unhandled error on %s", request.path)
    return respond(500, HTTP_TITLES[500], HTTP_MESSAGES[500],
                   api_message=InternalServerError.description)


def respond(status: int, title: str, message: str, hint: str | None = None,
            api_message: str | None = None, headers: dict | None = None):
    """``{"error": …}`` under /api/, else the (Vietnamese) error page."""
    if request.path.startswith("/api/") or request.path == "/api":
        body = jsonify({"error": api_message or message, "status": status, "title": title})
        return body, status, headers or {}
    return render_template("error.html", status=status, title=title, message=message,
                           hint=hint), status, headers or {}
