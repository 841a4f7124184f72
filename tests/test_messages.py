"""Messages people read are Vietnamese: API errors (with a stable English code), the 400 page, the CLI."""

from __future__ import annotations

import re

import pytest

from search.cli import cli
from search.errors import BadQuery
from web import TEMPLATES, create_app

# Letters only Vietnamese (among the languages here) writes: a message has some.
VIETNAMESE = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]")


@pytest.fixture(scope="module")
def client(index_dir):
    """The app over the session index (read only)."""
    return create_app({"TESTING": True, "INDEX_DIR": str(index_dir)}).test_client()


@pytest.mark.parametrize(
    "args, code, start",
    [
        ({"page": "abc"}, "bad_page", "page: phải là một số nguyên, không phải 'abc'"),
        ({"page": "0"}, "bad_page", "page: số trang phải từ 1 đến 1000"),
        ({"per_page": "1000"}, "bad_per_page", "per_page: số kết quả mỗi trang phải từ 1 đến 100"),
        ({"per_page": "x"}, "bad_per_page", "per_page: phải là một số nguyên"),
        ({"year": "abc"}, "bad_year", "year: năm phải là một số, không phải 'abc'"),
        ({"sort": "random"}, "bad_sort", "sort: cách sắp xếp phải là một trong relevance, date"),
        ({"accents": "maybe"}, "bad_accents", "accents: chế độ dấu phải là một trong"),
        ({"expand": "2"}, "bad_expand", "expand: phải là 0 hoặc 1"),
        (
            {"date_from": "abc"},
            "bad_date",
            "date_from: ngày phải có dạng dd/mm/yyyy, yyyy-mm hoặc yyyy, không phải 'abc'",
        ),
        ({"topic": ["x"] * 21}, "too_many_filters", "topic: chỉ được chọn tối đa 20 giá trị"),
        ({"province": "x" * 201}, "value_too_long", "province: mỗi giá trị dài tối đa 200 ký tự"),
    ],
)
def test_api_bad_query_has_code_and_vietnamese_message(client, args, code, start):
    r = client.get("/api/search", query_string={"q": "xã", **args})
    assert r.status_code == 400
    body = r.get_json()
    assert set(body) == {"error", "code", "message", "status", "title"}
    assert body["code"] == code
    assert body["status"] == 400
    assert body["title"] == "Yêu cầu tìm kiếm không hợp lệ"
    assert body["message"] == body["error"]  # "error" kept for older clients
    assert body["message"].startswith(start)
    assert VIETNAMESE.search(body["message"])


@pytest.mark.parametrize(
    "path, method, status, code",
    [
        ("/api/nope", "get", 404, "not_found"),
        ("/api/articles/no/such", "get", 404, "article_not_found"),
        ("/api/search", "post", 405, "method_not_allowed"),
    ],
)
def test_api_other_errors_have_codes_and_vietnamese_messages(client, path, method, status, code):
    r = getattr(client, method)(path)
    assert r.status_code == status
    body = r.get_json()
    assert body["code"] == code and body["status"] == status
    assert body["message"] == body["error"]
    assert VIETNAMESE.search(body["message"]), body


def test_missing_index_message(tmp_path):
    r = (
        create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "none")})
        .test_client()
        .get("/api/search")
    )
    body = r.get_json()
    assert r.status_code == 503 and body["code"] == "index_missing"
    assert "vnsearch index" in body["message"] and VIETNAMESE.search(body["message"])
    assert str(tmp_path) not in r.text


def test_400_page_says_why_in_the_sites_font(client):
    r = client.get("/search", query_string={"q": "xã", "date_to": "hôm qua"})
    assert r.status_code == 400
    assert r.mimetype == "text/html"
    assert "<h1>Yêu cầu tìm kiếm không hợp lệ</h1>" in r.text
    assert (
        '<p class="detail">date_to: ngày phải có dạng dd/mm/yyyy, yyyy-mm hoặc yyyy, '
        "không phải &#39;hôm qua&#39;</p>"
    ) in r.text
    css = (TEMPLATES / "static" / "site.css").read_text(encoding="utf-8")
    rules = re.findall(r"([^{}]+)\{([^{}]*)\}", css)
    detail = [body for selector, body in rules if ".error" in selector or ".detail" in selector]
    assert detail and not any("monospace" in body for body in detail)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--page", "1001"], "Lỗi: page: số trang phải từ 1 đến 1000"),
        (
            ["--from", "2024-99-01"],
            "Lỗi: --from: ngày phải có dạng dd/mm/yyyy, yyyy-mm hoặc yyyy, không phải '2024-99-01'",
        ),
        (["--to", "mai"], "Lỗi: --to: ngày phải có dạng dd/mm/yyyy, yyyy-mm hoặc yyyy"),
    ],
)
def test_cli_bad_query_is_vietnamese(runner, index_dir, args, message):
    result = runner.invoke(cli, ["search", "cán bộ", "--index", str(index_dir), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output and "Error:" not in result.output


def test_bad_query_code_defaults():
    assert BadQuery("x").code == "bad_query"
    assert BadQuery("x", code="bad_date").code == "bad_date"
