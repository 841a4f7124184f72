"""Settings: defaults < instance file < VNSEARCH_* variables < command-line options.

Through :func:`search.settings.load`, then the real commands (click's runner, or
a real process for `vnsearch serve`) over real indexes and a real crawl site.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import click
import crawl_site as cs
import pytest
from click.testing import CliRunner

from search import logs, settings
from search.cli import cli
from search.crawl.state import state_path
from search.errors import BadSetting
from search.settings import Settings, load
from web import create_app
from web.engine import get_engine

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = {
    "id": "cfg-1",
    "title": "Ủy ban nhân dân xã họp bàn kế hoạch",
    "body": "Cán bộ xã họp bàn kế hoạch phát triển kinh tế năm 2024.",
    "date": "2024-01-15",
    "province": "Lạng Sơn",
}


@pytest.fixture(autouse=True)
def restore_logging():
    """The CLI configures logging for the process: leave it as it was."""
    names = ["", *logs.OWN, logs.ACCESS]
    levels = {n: logging.getLogger(n).level for n in names}
    handlers = list(logging.getLogger().handlers)
    yield
    for n, level in levels.items():
        logging.getLogger(n).setLevel(level)
    logging.getLogger().handlers[:] = handlers


@pytest.fixture
def one_article(tmp_path) -> Path:
    """A one-article JSON Lines input (fast to index)."""
    f = tmp_path / "input" / "one.jsonl"
    f.parent.mkdir()
    f.write_text(json.dumps(ARTICLE, ensure_ascii=False) + "\n", "utf-8")
    return f


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def invoke(args, env=None):
    """The real `vnsearch` group through click's runner (stderr kept apart)."""
    return CliRunner().invoke(cli, args, env=env or {})


# --- precedence ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, file_text, env, expected_file, expected_env",
    [
        ("port", "[serve]\nport = 8100\n", {"VNSEARCH_PORT": "8200"}, 8100, 8200),
        ("host", '[serve]\nhost = "0.0.0.0"\n', {"VNSEARCH_HOST": "::1"}, "0.0.0.0", "::1"),
        ("processes", "[serve]\nprocesses = 3\n", {"VNSEARCH_PROCESSES": "auto"}, 3, None),
        ("access_log", "[serve]\naccess_log = false\n", {"VNSEARCH_ACCESS_LOG": "on"}, False, True),
        (
            "base_url",
            '[serve]\nbase_url = "https://example.org/tim-kiem/"\n',
            {"VNSEARCH_BASE_URL": "http://b.example"},
            "https://example.org/tim-kiem",
            "http://b.example",
        ),
        ("log_level", 'log_level = "INFO"\n', {"VNSEARCH_LOG_LEVEL": "debug"}, "info", "debug"),
        ("workers", "[indexing]\nworkers = 2\n", {"VNSEARCH_WORKERS": "4"}, 2, 4),
        ("batch_size", "[indexing]\nbatch_size = 7\n", {"VNSEARCH_BATCH_SIZE": "9"}, 7, 9),
        (
            "record_timeout",
            "[indexing]\nrecord_timeout = 2\n",
            {"VNSEARCH_RECORD_TIMEOUT": "0"},
            2.0,
            0.0,
        ),
        ("crawl_delay", "[crawl]\ndelay = 0.5\n", {"VNSEARCH_CRAWL_DELAY": "12"}, 0.5, 12.0),
        ("crawl_max_pages", "[crawl]\nmax_pages = 5\n", {"VNSEARCH_CRAWL_MAX_PAGES": "6"}, 5, 6),
        (
            "crawl_user_agent",
            '[crawl]\nuser_agent = "a/1"\n',
            {"VNSEARCH_CRAWL_USER_AGENT": "b/2"},
            "a/1",
            "b/2",
        ),
    ],
)
def test_file_over_defaults_and_environment_over_file(
    tmp_path, name, file_text, env, expected_file, expected_env
):
    config = write(tmp_path / "vnsearch.toml", file_text)
    default = getattr(Settings(), name)
    assert getattr(load(config, environ={}), name) == expected_file != default
    assert getattr(load(config, environ=env), name) == expected_env
    # The environment alone, without a file, also applies.
    assert getattr(load(None, environ=env), name) == expected_env


def test_the_file_comes_from_config_then_the_environment_then_the_current_folder(
    tmp_path, monkeypatch
):
    named = write(tmp_path / "named.toml", "[serve]\nport = 8001\n")
    by_env = write(tmp_path / "env.toml", "[serve]\nport = 8002\n")
    here = write(tmp_path / "cwd" / settings.CONFIG_FILE, "[serve]\nport = 8003\n")
    env = {settings.CONFIG_ENV: str(by_env)}
    assert load(named, environ=env).port == 8001
    assert load(None, environ=env).port == 8002
    monkeypatch.chdir(here.parent)
    assert load(None, environ={}).port == 8003
    monkeypatch.chdir(tmp_path)
    assert load(None, environ={}).port == Settings().port  # no vnsearch.toml here


def test_relative_paths_in_the_file_are_relative_to_the_file(tmp_path):
    config = write(
        tmp_path / "etc" / "vnsearch.toml", 'index = "data/index"\n[crawl]\nsources = "src.toml"\n'
    )
    s = load(config, environ={})
    assert s.index == tmp_path / "etc" / "data" / "index"
    assert s.crawl_sources == tmp_path / "etc" / "src.toml"
    assert load(config, environ={"VNSEARCH_INDEX": "rel"}).index == Path("rel")


def test_flask_table_reaches_the_app_and_settings_reach_app_config(tmp_path, monkeypatch):
    config = write(
        tmp_path / "vnsearch.toml",
        f'index = "{tmp_path / "idx"}"\n[serve]\nper_page = 3\nfeed_size = 4\n'
        "postings_cache_mb = 7\n"
        '[flask]\nSERVER_NAME = "tim.example.org"\nPREFERRED_URL_SCHEME = "https"\n',
    )
    monkeypatch.setenv(settings.CONFIG_ENV, str(config))
    monkeypatch.setenv("VNSEARCH_FEED_SIZE", "5")
    app = create_app()  # a WSGI server's factory call: file and environment
    assert app.config["INDEX_DIR"] == str(tmp_path / "idx")
    assert (app.config["PER_PAGE"], app.config["FEED_SIZE"]) == (3, 5)
    with app.app_context():  # the engine's memory for decoded postings
        assert get_engine().source().hot.budget == 7 << 20
    assert app.config["SERVER_NAME"] == "tim.example.org"
    assert "SECRET_KEY" not in app.config or app.config["SECRET_KEY"] is None
    assert "SITE_NAME" not in app.config
    # Tests' mappings start from the defaults, not the instance file.
    assert create_app({"TESTING": True}).config["PER_PAGE"] == Settings().per_page


# --- bad values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "file_text, env, message",
    [
        (
            "",
            {"VNSEARCH_PORT": "tám nghìn"},
            "VNSEARCH_PORT: phải là một số nguyên từ 0 đến 65535, không phải «tám nghìn»",
        ),
        ("", {"VNSEARCH_WORKERS": "9" * 5000}, "không phải «9999999999"),
        ("[indexing]\nwait = 1" + "0" * 400 + "\n", {}, "[indexing] wait phải là một số ≥ 0"),
        ("", {"VNSEARCH_PORT": "70000"}, "không phải 70000"),
        ("", {"VNSEARCH_WORKERS": "0"}, "VNSEARCH_WORKERS: phải là một số nguyên từ 1 đến 64"),
        ("", {"VNSEARCH_RECORD_TIMEOUT": "nan"}, "VNSEARCH_RECORD_TIMEOUT: phải là một số ≥ 0"),
        ("", {"VNSEARCH_CRAWL_DELAY": "-1"}, "VNSEARCH_CRAWL_DELAY: phải là một số ≥ 0"),
        ("", {"VNSEARCH_LOG_LEVEL": "loud"}, "VNSEARCH_LOG_LEVEL: phải là một trong debug"),
        ("", {"VNSEARCH_BASE_URL": "ftp://x.vn"}, "VNSEARCH_BASE_URL: phải là một địa chỉ http(s)"),
        ("", {"VNSEARCH_ACCESS_LOG": "maybe"}, "VNSEARCH_ACCESS_LOG: phải là true hoặc false"),
        ("", {"VNSEARCH_HOST": "a\x07b"}, "VNSEARCH_HOST: phải là một dòng chữ"),
        ('[serve]\nport = "8000"\n', {}, "[serve] port phải là một số nguyên"),
        ("[serve]\nthreads = true\n", {}, "[serve] threads phải là một số nguyên"),
        ("[serve]\nprot = 8000\n", {}, "không có thiết lập «[serve] prot»"),
        ("port = 8000\n", {}, "không có thiết lập «port»"),
        ("serve = 1\n", {}, "«serve» phải là một bảng [serve]"),
        ("[serve\nport = 1\n", {}, "không phải TOML hợp lệ"),
        ('[flask]\nINDEX_DIR = "x"\n', {}, "«INDEX_DIR» được đặt bằng thiết lập riêng"),
        ("[flask]\nsecret = 1\n", {}, "khóa «secret» không phải tên cấu hình Flask"),
    ],
)
def test_a_bad_value_is_one_vietnamese_line_and_exit_2(tmp_path, file_text, env, message):
    config = write(tmp_path / "vnsearch.toml", file_text)
    with pytest.raises(BadSetting, match=re.escape(message)):
        load(config, environ=env)
    for command in (["stats"], ["index", "--help"], ["search", "x"]):
        result = invoke(["--config", str(config), *command], env=env)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("Lỗi: ") and message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.output


def test_a_missing_or_binary_config_file_is_one_line(tmp_path):
    missing = invoke(["--config", str(tmp_path / "nope.toml"), "stats"])
    assert missing.exit_code == 2 and "không đọc được tệp cấu hình" in missing.stderr
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"port = \xff\xfe\n")
    result = invoke(["stats"], env={settings.CONFIG_ENV: str(binary)})
    assert result.exit_code == 2 and "phải là văn bản UTF-8" in result.stderr


def test_a_bad_setting_in_a_real_process_has_no_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "search", "stats"],
        env={"PATH": "/usr/bin:/bin", "VNSEARCH_BATCH_SIZE": "many", "HOME": str(tmp_path)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        == "Lỗi: VNSEARCH_BATCH_SIZE: phải là một số nguyên từ 1 đến 100000, không phải «many»"
    )


# --- the commands honour them ----------------------------------------------------------


def index_line(result) -> str:
    """The `index` command's INFO line that states the values it runs with."""
    lines = [line for line in result.stderr.splitlines() if "search.cli: indexing" in line]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_index_takes_file_then_environment_then_command_line(tmp_path, one_article):
    config = write(
        tmp_path / "vnsearch.toml",
        f'index = "{tmp_path / "from-file"}"\nlog_level = "info"\n'
        "[indexing]\nworkers = 1\nbatch_size = 7\nrecord_timeout = 3\n",
    )
    base = ["--config", str(config), "index", str(one_article)]

    from_file = invoke(base)
    assert from_file.exit_code == 0, from_file.output
    assert "(workers 1, batch size 7, record timeout 3 s)" in index_line(from_file)
    assert (tmp_path / "from-file" / "last-run.json").is_file()

    env = {"VNSEARCH_INDEX": str(tmp_path / "from-env"), "VNSEARCH_BATCH_SIZE": "8"}
    from_env = invoke(base, env=env)
    assert from_env.exit_code == 0, from_env.output
    assert "(workers 1, batch size 8, record timeout 3 s)" in index_line(from_env)
    assert (tmp_path / "from-env" / "last-run.json").is_file()

    given = invoke(
        [
            *base,
            "--index",
            str(tmp_path / "from-cli"),
            "--batch-size",
            "9",
            "--record-timeout",
            "0",
        ],
        env=env,
    )
    assert given.exit_code == 0, given.output
    assert "(workers 1, batch size 9, record timeout 0 s)" in index_line(given)
    assert (tmp_path / "from-cli" / "last-run.json").is_file()

    # Reading commands take the index from the same settings.
    found = invoke(
        ["search", "ke hoach", "--json"], env={"VNSEARCH_INDEX": str(tmp_path / "from-cli")}
    )
    assert found.exit_code == 0, found.output
    assert [h["id"] for h in json.loads(found.stdout)["hits"]] == ["cfg-1"]
    healthy = invoke(
        ["--config", str(config), "check"], env={"VNSEARCH_INDEX": str(tmp_path / "from-env")}
    )
    assert healthy.exit_code == 0 and str(tmp_path / "from-env") in healthy.stdout


def test_crawl_takes_its_settings_and_the_command_line_wins(tmp_path):
    config = write(
        tmp_path / "vnsearch.toml",
        f'index = "{tmp_path / "index"}"\n'
        '[crawl]\ndelay = 0\ntimeout = 0.5\nmax_pages = 1\nuser_agent = "cfg-agent/1 (+http://127.0.0.1/a)"\n',
    )
    with cs.Site() as site:
        first = invoke(["--config", str(config), "crawl", site.base + "/", "--json"])
        assert first.exit_code in (0, 1), first.output
        agents = {h.agent for h in site.hits()}
        assert agents == {"cfg-agent/1 (+http://127.0.0.1/a)"}
        pages = [h for h in site.hits() if h.path in cs.ARTICLES.values() and h.status != 301]
        assert len(pages) <= 1  # max_pages = 1
        assert state_path(tmp_path / "index").is_file()  # [crawl]'s index: the file's

        mark = site.mark()
        second = invoke(
            ["--config", str(config), "crawl", site.base + "/", "--user-agent", "cli-agent/2"],
            env={"VNSEARCH_CRAWL_USER_AGENT": "env-agent/3"},
        )
        assert second.exit_code in (0, 1), second.output
        assert {h.agent for h in site.hits(mark)} == {"cli-agent/2"}

        mark = site.mark()
        third = invoke(
            ["--config", str(config), "crawl", site.base + "/"],
            env={"VNSEARCH_CRAWL_USER_AGENT": "env-agent/3"},
        )
        assert third.exit_code in (0, 1), third.output
        assert {h.agent for h in site.hits(mark)} == {"env-agent/3"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, deadline: float) -> bytes:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return r.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.parametrize(
    "port_from, processes, access",
    [
        ("file", 1, True),
        ("environment", 1, True),
        ("command line", 1, True),
        ("file", 2, True),
        ("file", 1, False),
        ("file", 2, False),
    ],
    ids=[
        "file",
        "environment",
        "command-line",
        "gunicorn",
        "no-access-log",
        "gunicorn-no-access-log",
    ],
)
def test_serve_takes_its_settings(tmp_path, index_dir, port_from, processes, access):
    """`vnsearch serve` (waitress, or gunicorn for several processes) as the settings say."""
    port, other = _free_port(), _free_port()
    serve = {"file": port, "environment": other, "command line": other}[port_from]
    config = write(
        tmp_path / "vnsearch.toml",
        f'index = "{index_dir}"\nlog_level = "info"\n'
        f'[serve]\nhost = "127.0.0.1"\nport = {serve}\nprocesses = {processes}\nthreads = 2\n'
        f"per_page = 2\naccess_log = {str(access).lower()}\n",
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), settings.CONFIG_ENV: str(config)}
    args = [sys.executable, "-m", "search", "serve"]
    if port_from == "environment":
        env["VNSEARCH_PORT"] = str(port)
    if port_from == "command line":
        env["VNSEARCH_PORT"] = str(other)
        args += ["--port", str(port)]
    log = tmp_path / "serve.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            args, cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=err, stderr=err
        )
    try:
        body = _get(f"http://127.0.0.1:{port}/api/search?q=can+bo", time.monotonic() + 60)
        assert len(json.loads(body)["hits"]) == 2  # [serve] per_page
    finally:
        proc.terminate()
        proc.wait(20)
    text = log.read_text("utf-8")
    assert f"tại http://127.0.0.1:{port}/" in text
    how = f"({processes} tiến trình × 2 luồng" if processes > 1 else "(2 luồng"
    assert how in text, text
    assert ('"GET /api/search?q=can+bo HTTP/1.1" 200' in text) is access  # the access log
    assert "Traceback" not in text


# --- one source of defaults ----------------------------------------------------------------


def _options():
    from web.cli import serve

    commands = {**cli.commands, "serve": serve}
    for command, param, name in [
        ("index", "index_dir", "index"),
        ("index", "batch_size", "batch_size"),
        ("index", "wait", "wait"),
        ("index", "record_timeout", "record_timeout"),
        ("check", "wait", "wait"),
        ("crawl", "delay", "crawl_delay"),
        ("crawl", "timeout", "crawl_timeout"),
        ("crawl", "max_bytes", "crawl_max_bytes"),
        ("crawl", "batch_size", "crawl_batch_size"),
        ("serve", "host", "host"),
        ("serve", "port", "port"),
        ("serve", "connection_limit", "connection_limit"),
        ("serve", "client_timeout", "client_timeout"),
        ("serve", "timeout", "worker_timeout"),
    ]:
        (option,) = [p for p in commands[command].params if p.name == param]
        yield command, option, name


@pytest.mark.parametrize(
    "command, option, name", list(_options()), ids=lambda x: getattr(x, "name", x)
)
def test_option_defaults_are_the_settings_defaults(command, option, name):
    default = option.default() if callable(option.default) else option.default
    assert option.type.convert(default, option, None) == getattr(Settings(), name)


def test_a_reload_reads_the_file_again_and_keeps_the_command_line(tmp_path, caplog):
    """What a server's reload (gunicorn's SIGHUP) does: the file again, options still win."""
    config = write(tmp_path / "vnsearch.toml", '[serve]\nport = 8100\nhost = "10.0.0.1"\n')
    seen = {}

    @click.command()
    @click.option("--port", type=int, default=8000, callback=settings.option("port"))
    @click.option("--host", default="127.0.0.1", callback=settings.option("host"))
    @click.pass_context
    def probe(ctx, port, host):
        seen["start"] = (port, host)
        reread = settings.again(ctx)
        write(config, '[serve]\nport = 8200\nhost = "10.0.0.2"\n')
        seen["reloaded"] = (reread().port, reread().host)
        write(config, "[serve]\nport = many\n")
        seen["broken"] = (reread().port, reread().host)

    with caplog.at_level(logging.ERROR, logger="search.settings"):
        result = CliRunner().invoke(
            probe, ["--host", "192.0.2.1"], env={settings.CONFIG_ENV: str(config)}
        )
    assert result.exit_code == 0, result.output
    assert seen == {
        "start": (8100, "192.0.2.1"),
        "reloaded": (8200, "192.0.2.1"),
        "broken": (8100, "192.0.2.1"),
    }
    assert any("settings not reloaded" in r.getMessage() for r in caplog.records)
