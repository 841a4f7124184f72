"""Messages people read are Vietnamese: API errors (with a stable English code), the 400 page, the CLI."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from search import clickfmt
from search.cli import cli
from search.errors import (
    ArticleNotFound,
    BadQuery,
    IndexDamaged,
    IndexLocked,
    IndexMissing,
    IndexOutdated,
    SearchError,
    WriteFailed,
)
from web import TEMPLATES, create_app

# Letters only Vietnamese (among the languages here) writes: a message has some.
VIETNAMESE = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]")


@pytest.fixture(scope="module")
def client(index_dir, client_for):
    """The app over the session index (read only)."""
    return client_for(index_dir)


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


# --- click's own messages ---------------------------------------------------------------

# What click says in English; none of it may reach a person using vnsearch.
ENGLISH = re.compile(
    r"Usage:|Error|Invalid value|No such|Missing|is not|Try '|Did you mean|requires|"
    r"Got unexpected|does not|Options|Show this"
)


@pytest.mark.parametrize(
    "args, message",
    [
        (["search", "x", "--page", "0"], "Giá trị không hợp lệ cho '--page': 0 nằm ngoài khoảng"),
        (["search", "x", "--limit", "abc"], "'abc' không phải là một số hợp lệ."),
        (["search", "x", "--sort", "foo"], "'foo' không phải là một trong 'relevance', 'date'."),
        (["search", "x", "--accents", "maybe"], "'maybe' không phải là một trong 'auto'"),
        (["search", "x", "--limit"], "Tùy chọn '--limit' cần một giá trị."),
        (["search", "--bogus"], "Không có tùy chọn '--bogus'."),
        (["search", "--prvince", "x"], "Có phải ý bạn là một trong: '--province'"),
        (["check", "--repiar"], "Có phải ý bạn là '--repair'?"),
        (["search", "a", "b"], "Thừa đối số không dùng đến"),
        (["stats", "--json=1"], "Tùy chọn '--json' không nhận giá trị."),
        (["serach"], "Không có lệnh 'serach'."),
        (["show"], "Thiếu đối số 'ARTICLE_ID'."),
        (["extract"], "Thiếu đối số 'PATHS...'."),
        (["index", "--workers", "0"], "Giá trị không hợp lệ cho '--workers'"),
        (["check", "--index", "{file}"], "là một tệp, không phải thư mục."),
        (["crawl"], "không có gì để thu thập"),
        (["crawl", "--every", "1x", "http://127.0.0.1:9/"], "'1x' không phải là thời lượng"),
        (
            ["crawl", "--since", "hôm qua", "http://127.0.0.1:9/"],
            "--since: ngày phải có dạng dd/mm/yyyy, yyyy-mm hoặc yyyy, không phải 'hôm qua'",
        ),
        (["serve", "--port", "x"], "Giá trị không hợp lệ cho '--port'"),
        (["serve", "--base-url", "ftp://x"], "không phải là địa chỉ http(s) hợp lệ"),
    ],
)
def test_cli_usage_errors_are_vietnamese(runner, tmp_path, args, message):
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    args = [a.format(file=tmp_path / "a-file") for a in args]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)  # click's exit, not an error
    # Every line: Vietnamese words around commands, options and values.
    prose = result.output
    assert not ENGLISH.search(prose), result.output
    assert result.output.rstrip().splitlines()[-1].startswith("Lỗi: ")


def _typed_options() -> list[tuple[str, str]]:
    """(command, option) of every option of every command that checks its value's type."""
    checked = (click.types.IntParamType, click.types.FloatParamType, click.Choice)
    return [
        (name, param.opts[0])
        for name, command in sorted(cli.commands.items())
        for param in command.params
        if isinstance(param, click.Option) and isinstance(param.type, checked) and not param.is_flag
    ]


@pytest.mark.parametrize("command, option", _typed_options())
def test_every_refused_option_value_is_explained_in_vietnamese(runner, command, option):
    result = runner.invoke(cli, [command, option, "không-hợp-lệ"], prog_name="vnsearch")
    assert result.exit_code == 2, result.output
    last = result.output.rstrip().splitlines()[-1]
    assert last.startswith(f"Lỗi: Giá trị không hợp lệ cho '{option}': 'không-hợp-lệ' ")
    assert not ENGLISH.search(result.output), result.output


def test_typed_options_are_found():
    found = _typed_options()
    assert ("search", "--page") in found and ("serve", "--port") in found
    assert ("crawl", "--delay") in found and ("index", "--workers") in found


def test_usage_line_and_hint_are_vietnamese(runner):
    result = runner.invoke(cli, ["search", "--bogus"], prog_name="vnsearch")
    assert result.output.splitlines()[:2] == [
        "Cách dùng: vnsearch search [TÙY CHỌN] [QUERY]",
        "Xem 'vnsearch search --help' để biết cách dùng.",
    ]
    result = runner.invoke(cli, ["nope"], prog_name="vnsearch")
    assert result.output.startswith("Cách dùng: vnsearch [TÙY CHỌN] LỆNH [ĐỐI SỐ]...\n")
    assert runner.invoke(cli, ["serve", "--nope"], prog_name="vnsearch").output.startswith(
        "Cách dùng: vnsearch serve [TÙY CHỌN]\n"
    )


def test_version_is_vietnamese(runner):
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("vnsearch, phiên bản ")
    assert "Hiện phiên bản rồi thoát." in runner.invoke(cli, ["--help"]).output


def test_help_pages_use_vietnamese_for_clicks_words(runner):
    result = runner.invoke(cli, ["search", "--help"], prog_name="vnsearch")
    assert result.exit_code == 0
    assert result.output.startswith("Cách dùng: vnsearch search [TÙY CHỌN] [QUERY]")
    assert "\nTùy chọn:\n" in result.output and "Hiện hướng dẫn này rồi thoát." in result.output
    assert "[mặc định: relevance]" in result.output
    top = runner.invoke(cli, ["--help"]).output
    assert "\nLệnh:\n" in top and "Usage" not in top and "Commands" not in top


@pytest.mark.parametrize("env", [{}, {"LANG": "C", "LC_ALL": "C.UTF-8", "LANGUAGE": "en"}])
def test_real_command_in_any_locale(tmp_path, env):
    """A real process, whatever the locale says: Vietnamese on stderr, exit 2, no traceback."""
    run = subprocess.run(
        [sys.executable, "-m", "search", "search", "x", "--page", "-1"],
        capture_output=True,
        check=False,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8", **env},
        timeout=120,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.endswith(
        "Lỗi: Giá trị không hợp lệ cho '--page': -1 nằm ngoài khoảng cho phép (x>=1).\n"
    )
    assert "Traceback" not in run.stderr


def test_other_click_programs_keep_their_language(runner):
    """Only vnsearch's commands speak Vietnamese: click itself is not changed for others."""

    @click.command()
    @click.option("--n", type=int)
    def other(n):
        pass

    result = runner.invoke(other, ["--n", "x"])
    assert result.exit_code == 2
    assert "Error: Invalid value for '--n': 'x' is not a valid integer." in result.output
    assert "Usage: other [OPTIONS]" in result.output


def _click_messages() -> set[tuple[str, ...]]:
    """Every message template click marks for translation (its own source, as installed)."""
    found = set()
    for path in Path(click.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "ngettext")
            ):
                args = tuple(
                    a.value
                    for a in node.args
                    if isinstance(a, ast.Constant) and isinstance(a.value, str)
                )
                if args:
                    found.add(args)
    return found


# Raised while a program is being defined (a programmer's mistake), never to a user.
FOR_PROGRAMMERS = {
    "Name '{name}' defined twice",
    "Boolean option {decl!r} cannot use the same flag for true/false.",
    "Could not determine name for option with declarations {decls!r}",
    (
        "No options defined but a name was passed ({name}). Did you mean to declare an "
        "argument instead? Did you mean to pass '--{name}'?"
    ),
    "Arguments take exactly one parameter declaration, got {length}: {decls}.",
    "Choice({choices})",  # repr()
}


def test_catalogue_covers_every_message_of_the_installed_click():
    messages = _click_messages()
    assert len(messages) > 40  # the scan found click's messages
    missing = [
        m
        for m in messages
        if (len(m) == 1 and m[0] not in clickfmt.CATALOGUE and m[0] not in FOR_PROGRAMMERS)
        or (len(m) == 2 and m not in clickfmt.PLURALS)
    ]
    assert missing == []
    for english, vietnamese in clickfmt.CATALOGUE.items():
        # A translation uses no placeholder its template lacks (format() would fail).
        assert set(re.findall(r"{(\w+)", vietnamese)) <= set(re.findall(r"{(\w+)", english))
        assert set(re.findall(r"%\((\w+)\)", vietnamese)) == set(re.findall(r"%\((\w+)\)", english))


def test_translators_are_in_every_click_module_that_prints():
    modules = [m for n, m in sys.modules.items() if n == "click" or n.startswith("click.")]
    printing = [m for m in modules if hasattr(m, "_")]
    assert len(printing) >= 8
    assert all(m._ is clickfmt.gettext for m in printing)
    assert all(m.ngettext is clickfmt.ngettext for m in modules if hasattr(m, "ngettext"))
    assert clickfmt.install() == []  # installed once, at import


@pytest.mark.parametrize(
    "error, start",
    [
        (IndexMissing("no index at /x"), "chưa có chỉ mục ở /srv/ix: hãy tạo bằng lệnh"),
        (IndexOutdated("built by schema version 3"), "chỉ mục ở /srv/ix được tạo bởi một phiên"),
        (IndexDamaged("cannot read /srv/ix/vnsearch.json"), "chỉ mục ở /srv/ix bị hỏng"),
        (IndexLocked("another `vnsearch index` is writing"), "một lệnh `vnsearch index` khác"),
        (WriteFailed("No space left on device"), "không ghi được vào chỉ mục ở /srv/ix"),
        (ArticleNotFound("no article with id 'a/b'"), "không có bài viết nào với mã 'a/b'"),
        (BadQuery("page: số trang phải từ 1 đến 1000"), "page: số trang phải từ 1 đến 1000"),
        (SearchError("something else"), "không thực hiện được lệnh. Chi tiết: something else"),
    ],
)
def test_library_errors_are_explained_in_vietnamese(error, start):
    line = clickfmt.explain(error, {"index_dir": Path("/srv/ix"), "article_id": "a/b"})
    assert line.startswith(start) and VIETNAMESE.search(line)
    assert "\n" not in line
    if isinstance(error, (IndexOutdated, IndexDamaged, IndexLocked, WriteFailed)):
        assert line.endswith(f". Chi tiết: {error}")  # the file, versions or cause kept
