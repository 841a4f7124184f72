"""Messages people read are Vietnamese: API errors (with a stable English code), the 400 page, the CLI."""

from __future__ import annotations

import ast
import json
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
        ({"correct": "2"}, "bad_correct", "correct: phải là 0 hoặc 1"),
        (
            {"date_from": "2017", "date_to": "2016"},
            "bad_date_range",
            "date_from (2017-01-01) sau date_to (2016-12-31): ngày bắt đầu phải trước",
        ),
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


# --- what `vnsearch check`, `index`, `extract` and `serve` print -----------------------------

# Words of the English these commands once printed: none may come back in what they print.
# (Commands and options in backquotes, paths, file names and codes are taken out first.)
ENGLISH_WORDS = re.compile(
    r"\b(the|and|or|of|is|are|not|it|its|from|with|by|more|no|file|files|folder|article|"
    r"articles|segments?|terms?|postings?|checked|healthy|damaged|note|repaired|missing|run|"
    r"vocabulary|leftovers?|stored|rebuilt|removed|match|cannot|read|opened|metadata|"
    r"contents|interrupted|empty|binary|content|invalid|line|duplicate|larger|than|bytes|"
    r"took|too|long|parse|such|unsupported|symbolic|broken|found|title|body|object|"
    r"serving|on|stop|threads?|processes)\b",
    re.IGNORECASE,
)


def english_left(line: str, *known: object) -> list[str]:
    """The English words of a printed line, once ``known`` texts (paths, names) are removed."""
    for text in sorted(map(str, known), key=len, reverse=True):
        line = line.replace(text, " ")
    line = re.sub(r"`[^`]*`", " ", line)  # commands and options, as typed
    line = re.sub(r"\S*[._/][\w.*]\S*", " ", line)  # file names (vocab.sqlite, MAIN_x.seg)
    return ENGLISH_WORDS.findall(line)


# A log line (search.logs.FORMAT): for developers, and a library's own may be English.
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


def assert_vietnamese(text: str, *known: object) -> None:
    """Every line of ``text`` (log lines aside) has Vietnamese letters and no old English word."""
    lines = [line for line in text.splitlines() if line.strip() and not LOG_LINE.match(line)]
    assert lines
    for line in lines:
        assert VIETNAMESE.search(line), line
        assert english_left(line, *known) == [], line


def _no_vocabulary(ix: Path) -> None:
    from search.vocab import vocab_path

    vocab_path(ix).unlink()


def _leftover(ix: Path) -> None:
    (ix / "MAIN_zzzzleftover0000.seg").write_bytes(b"partial")


def _no_segment(ix: Path) -> None:
    next(ix.glob("MAIN_*.seg")).unlink()


def _no_metadata(ix: Path) -> None:
    from search.index import META_FILE

    (ix / META_FILE).unlink()


@pytest.mark.whoosh_only  # Whoosh's files are damaged (a Xapian index: tests/test_backends.py)
@pytest.mark.parametrize(
    "damage, repair, exit_code, lines",
    [
        (None, False, 0, ["chỉ mục tốt: đã kiểm tra 5 bài, 1 phân đoạn, "]),
        (
            _no_vocabulary,
            False,
            1,
            [
                (
                    "hỏng: từ vựng: thiếu vocab.sqlite; chạy `vnsearch check --repair` (hoặc lần "
                    "`vnsearch index` tiếp theo sẽ tự sửa)"
                ),
                "CHỈ MỤC HỎNG: đã kiểm tra 5 bài, 1 phân đoạn, ",
            ],
        ),
        (
            _no_vocabulary,
            True,
            0,
            ["đã sửa: đã dựng lại từ vựng từ 5 bài đã lưu", "chỉ mục tốt: đã kiểm tra 5 bài, "],
        ),
        (
            _leftover,
            False,
            0,
            [
                (
                    "lưu ý: tệp thừa: 1 tệp của một lần ghi bị gián đoạn (MAIN_zzzzleftover0000.seg); "
                    "`vnsearch check --repair` (hoặc lần `vnsearch index` tiếp theo) sẽ xóa chúng"
                ),
                "chỉ mục tốt: ",
            ],
        ),
        (_leftover, True, 0, ["đã sửa: đã xóa 1 tệp thừa", "chỉ mục tốt: "]),
        (
            _no_segment,
            False,
            1,
            [
                "hỏng: phân đoạn ",
                (
                    "lưu ý: từ vựng: chưa được so với chỉ mục vì chỉ mục bị hỏng; chạy "
                    "`vnsearch index --rebuild` (lệnh này giữ lại mọi bài đã lưu còn đọc được)"
                ),
                "CHỈ MỤC HỎNG: đã kiểm tra 0 bài, 1 phân đoạn, 0 từ, 0 liên kết từ–bài",
            ],
        ),
        (
            _no_metadata,
            False,
            1,
            ["hỏng: siêu dữ liệu: thiếu vnsearch.json; chạy `vnsearch index --rebuild`"],
        ),
    ],
    ids=[
        "healthy",
        "no-vocabulary",
        "repair-vocabulary",
        "leftover",
        "repair-leftover",
        "no-segment",
        "no-metadata",
    ],
)
def test_check_speaks_vietnamese(runner, tmp_path, seed_dir, damage, repair, exit_code, lines):
    from search.ingest import index_paths

    ix = tmp_path / "index"
    index_paths([seed_dir], ix, workers=1)
    if damage:
        damage(ix)
    result = runner.invoke(cli, ["check", "--index", str(ix), *(["--repair"] if repair else [])])
    assert result.exit_code == exit_code, result.output
    printed = result.output.splitlines()
    for start in lines:
        assert any(line.startswith(start) for line in printed), (start, result.output)
    assert printed[-1].endswith(f"  ({ix})")
    assert_vietnamese(result.output, ix)
    # --json: English keys, a stable code for each finding's part, Vietnamese for people.
    data = json.loads(runner.invoke(cli, ["check", "--index", str(ix), "--json"]).output)
    assert {"healthy", "findings", "repaired", "articles", "segments"} <= set(data)
    for finding in data["findings"]:
        assert set(finding) == {"code", "part", "problem", "fix", "damage"}
        assert re.fullmatch(r"[a-z_]+", finding["code"])
        assert_vietnamese(finding["problem"] + "; " + finding["fix"], ix)
        assert VIETNAMESE.search(finding["part"]) or finding["code"] == "shard"


def _jline(d: dict) -> bytes:
    return json.dumps(d, ensure_ascii=False).encode() + b"\n"


GOOD = {"title": "Tin tốt về cán bộ xã", "body": "Cán bộ xã hoà giải ở thôn bản."}
# Inputs that are skipped: source (under the folder; ":N" a line) -> (bytes, code, reason).
SKIPPED_FILES: dict[str, tuple[bytes | None, str, str]] = {
    "empty.txt": (b"", "empty", "tệp rỗng"),
    "binary.txt": (b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)), "binary", "tệp nhị phân"),
    "noise.txt": (bytes(range(1, 32)) * 64, "binary", "tệp nhị phân (có ký tự điều khiển)"),
    "latin.txt": (
        "Cán bộ cấp xã ".encode() * 20 + b"\xff\xfe\xfa",
        "undecodable",
        "không giải mã được: không phải UTF-8 hợp lệ (lỗi ở byte ",
    ),
    "utf16.txt": (
        b"\xff\xfe" + "Cán bộ".encode("utf-16-le") + b"\x00\xd8",
        "undecodable",
        "không giải mã được: không phải văn bản UTF-16 hợp lệ (lỗi ở byte ",
    ),
    "huge.txt": (b"x" * (10 * 1024 * 1024 + 1), "too_large", "lớn hơn 10 MB (10485761 byte)"),
    "no-text.html": (
        b"<html><body><script>x()</script></body></html>",
        "no_text",
        "không tìm thấy nội dung bài viết trong HTML",
    ),
    "not-gzip.jsonl.gz": (
        _jline({"id": "g", **GOOD}),
        "unreadable",
        "không đọc được: không phải tệp gzip",
    ),
    "dangling.txt": (None, "broken_link", "liên kết tượng trưng bị hỏng"),
}
SKIPPED_LINES: list[tuple[bytes, str | None, str | None]] = [
    (_jline({"id": "j1", **GOOD}), None, None),
    (b'{"id": "j-cut", "title": "x"', "bad_json", "dòng JSON không hợp lệ (thiếu dấu ',', cột "),
    (b"[1, 2]", "not_object", "dòng JSON không phải là một đối tượng"),
    (_jline({"title": "x", "body": "y"}), "no_id", 'dòng JSON không có "id"'),
    (
        b'{"id": "\\ud800", "title": "x", "body": "y"}',
        "bad_id",
        '"id" của dòng JSON không phải Unicode hợp lệ (nửa cặp surrogate)',
    ),
    (_jline({"id": "j-empty", "title": "", "body": ""}), "no_text", "không có tiêu đề và nội dung"),
    (_jline({"id": "j1", **GOOD}), "duplicate_id", "trùng id 'j1' với một bản ghi trước đó"),
    (
        b'{"id": "j-bad", "title": "\xff\xfe"}',
        "bad_json",
        "dòng JSON không hợp lệ (không phải UTF-8",
    ),
    (b"[" * 100_000, "bad_json", "dòng JSON không hợp lệ (lồng quá sâu, không phân tích được)"),
]


@pytest.fixture(scope="module")
def hostile_inputs(tmp_path_factory) -> Path:
    """A folder with one input for each reason a file or a JSON line is skipped."""
    d = tmp_path_factory.mktemp("hostile-messages")
    for name, (raw, _, _) in SKIPPED_FILES.items():
        if raw is None:
            os.symlink(d / "gone.txt", d / name)
        else:
            (d / name).write_bytes(raw)
    (d / "lines.jsonl").write_bytes(b"\n".join(line.rstrip(b"\n") for line, _, _ in SKIPPED_LINES))
    return d


def _expected_skips(d: Path) -> dict[str, tuple[str, str]]:
    expected = {str(d / name): (code, reason) for name, (_, code, reason) in SKIPPED_FILES.items()}
    for i, (_, code, reason) in enumerate(SKIPPED_LINES, 1):
        if code and reason:
            expected[f"{d / 'lines.jsonl'}:{i}"] = (code, reason)
    return expected


@pytest.fixture(scope="module")
def indexed_hostile(hostile_inputs, tmp_path_factory):
    """(--json summary, the text run's stderr) of `vnsearch index` over the hostile folder."""
    from click.testing import CliRunner

    runner = CliRunner()
    ix = tmp_path_factory.mktemp("hostile-index")
    extra = [str(hostile_inputs / "notes.pdf"), str(hostile_inputs / "nope.txt")]
    (hostile_inputs / "notes.pdf").write_bytes(b"%PDF-1.4")
    as_json = runner.invoke(
        cli, ["index", str(hostile_inputs), *extra, "--index", str(ix / "a"), "--json"]
    )
    assert as_json.exit_code == 1, as_json.output
    text = runner.invoke(cli, ["index", str(hostile_inputs), *extra, "--index", str(ix / "b")])
    assert text.exit_code == 1, text.output
    return json.loads(as_json.stdout), text.stderr


def _skip_cases() -> list[tuple[str, str, str]]:
    cases = [(name, code, reason) for name, (_, code, reason) in SKIPPED_FILES.items()]
    cases += [
        (f"lines.jsonl:{i}", code, reason)
        for i, (_, code, reason) in enumerate(SKIPPED_LINES, 1)
        if code and reason
    ]
    cases += [
        ("notes.pdf", "unsupported_type", "loại tệp không được hỗ trợ: .pdf"),
        ("nope.txt", "not_found", "không có tệp hay thư mục này"),
    ]
    return cases


@pytest.mark.parametrize("name, code, reason", _skip_cases())
def test_each_skip_reason_is_vietnamese_with_a_stable_code(
    indexed_hostile, hostile_inputs, name, code, reason
):
    summary, stderr = indexed_hostile
    source = str(hostile_inputs / name)
    (entry,) = [s for s in summary["skipped"] if s["source"] == source]
    assert set(entry) == {"source", "code", "reason"}
    assert entry["code"] == code
    assert entry["reason"].startswith(reason)
    assert_vietnamese(entry["reason"], hostile_inputs)
    # The text summary prints the same reason on stderr.
    assert f"  bỏ qua {source}: {entry['reason']}\n" in stderr


def test_every_skipped_input_is_listed(indexed_hostile, hostile_inputs):
    summary, stderr = indexed_hostile
    sources = {s["source"] for s in summary["skipped"]}
    assert sources == {str(hostile_inputs / name) for name, _, _ in _skip_cases()}
    assert summary["indexed"] == 1  # j1, the one good line
    assert_vietnamese(stderr, hostile_inputs)


def test_extract_gives_the_same_vietnamese_reasons(runner, hostile_inputs):
    result = runner.invoke(cli, ["extract", str(hostile_inputs / "lines.jsonl")])
    assert result.exit_code == 1
    for i, (_, code, reason) in enumerate(SKIPPED_LINES, 1):
        if code and code != "duplicate_id":  # extract does not index: no id is met twice
            assert f"bỏ qua {hostile_inputs / 'lines.jsonl'}:{i}: {reason}" in result.stderr
    assert_vietnamese(result.stderr, hostile_inputs)


@pytest.mark.parametrize("workers", [1, 2], ids=["in-process", "pool"])
def test_a_record_over_its_time_budget_is_skipped_in_vietnamese(runner, tmp_path, workers):
    d = tmp_path / "in"
    d.mkdir()
    sentence = "Ủy ban nhân dân xã Mường Luân tổ chức hội nghị về công tác cán bộ năm 2024. "
    (d / "big.txt").write_text("Tiêu đề bài dài\n" + sentence * 4000, "utf-8")
    args = ["index", str(d), "--index", str(tmp_path / "ix"), "--workers", str(workers)]
    result = runner.invoke(cli, [*args, "--record-timeout", "0.05", "--json"])
    assert result.exit_code == 1
    (entry,) = json.loads(result.stdout)["skipped"]
    assert (entry["code"], entry["reason"]) == ("too_slow", "phân tích quá lâu (quá 0.05 giây)")


@pytest.mark.parametrize(
    "backend,args,note",
    [
        ("whoosh", [], ""),
        (
            "whoosh",
            ["--backend", "xapian", "--shards", "2"],
            ", chuyển từ whoosh sang xapian (2 shard)",
        ),
        ("xapian", [], " (1 shard)"),
        ("xapian", ["--backend", "whoosh"], ", chuyển từ xapian sang whoosh"),
    ],
)
def test_index_rebuild_note_is_vietnamese(runner, tmp_path, seed_dir, backend, args, note):
    if "xapian" in (backend, *args):
        pytest.importorskip("xapian", reason="the xapian extra is not installed")
    ix = tmp_path / "index"
    made = ["index", str(seed_dir), "--index", str(ix), "--backend", backend]
    assert runner.invoke(cli, made).exit_code == 0
    result = runner.invoke(cli, ["index", "--rebuild", "--index", str(ix), *args])
    assert result.exit_code == 0, result.output
    assert f"đã xây dựng lại {ix}: giữ lại 5 bài đã lưu{note}\n" in result.stderr
    assert_vietnamese(result.output, ix)


@pytest.mark.parametrize("processes", [1, 2], ids=["waitress", "gunicorn"])
def test_serve_start_up_line_is_vietnamese(tmp_path, index_dir, processes):
    from server_helpers import LISTENING, Server

    from web.cli import has_gunicorn

    if processes > 1 and not has_gunicorn():
        pytest.skip("several server processes need gunicorn (Unix)")
    with Server(index_dir, tmp_path / "serve.log", threads=3, processes=processes) as server:
        assert server.get("/").status == 200  # the line's port is the one served
        (line,) = [line for line in server.stderr().splitlines() if LISTENING.match(line)]
    how = "3 luồng" if processes == 1 else "2 tiến trình × 3 luồng"
    assert line == (
        f"vnsearch: đang phục vụ {index_dir} tại http://127.0.0.1:{server.port}/ "
        f"({how}; Ctrl+C để dừng)"
    )
    assert_vietnamese(line, index_dir, f"http://127.0.0.1:{server.port}/")


@pytest.mark.parametrize(
    "article_id",
    sorted(p.stem for p in (Path(__file__).parent.parent / "seeds").glob("*.txt")),
)
def test_show_names_each_field_in_vietnamese(runner, index_dir, article_id):
    from search.cli import SHOWN_FIELDS

    result = runner.invoke(cli, ["show", article_id, "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    head = result.output.split("\n\n", 1)[0].splitlines()[1:]  # the title, then the fields
    labels = [line.split(": ", 1)[0] for line in head]
    names = [*SHOWN_FIELDS.values(), "văn bản được nhắc đến", "chú thích ảnh"]
    assert labels and all(label in names for label in labels), labels
    assert labels[:2] == ["mã", "ngày đăng"] and head[0] == f"mã: {article_id}"
    assert VIETNAMESE.search(" ".join(names)) and english_left(" ".join(names)) == []
    assert not set(labels) & {*SHOWN_FIELDS, "policy_refs", "caption"}  # the JSON keys


def test_stats_names_each_line_in_vietnamese(runner, index_dir):
    result = runner.invoke(cli, ["stats", "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    labels = [line.split(":", 1)[0] for line in result.output.splitlines()]
    assert labels == [
        "chỉ mục",
        "số bài",
        "phiên bản lược đồ",
        "bộ máy tìm kiếm",
        "dung lượng",
        "các trường",
    ]
    assert english_left(" ".join(labels)) == []
