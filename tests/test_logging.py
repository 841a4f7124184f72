"""Log lines: --log-level and VNSEARCH_LOG_LEVEL, the access log, index refreshes seen by the
site, vocabulary rebuilds, crawler decisions, and a damaged vocabulary the suggester survives."""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

import crawl_site as cs
import pytest
from click.testing import CliRunner
from helpers import add_articles

from search import logs
from search.article import Article
from search.cli import cli
from search.suggest import Suggester
from search.vocab import vocab_path
from web import create_app

LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR) [\w.]+: .+$")


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


def invoke(args, env=None):
    return CliRunner().invoke(cli, args, env=env or {})


def article(i: int) -> Article:
    return Article(
        id=f"log-{i}",
        title=f"Hội nghị cán bộ xã lần {i}",
        body="Cán bộ xã họp bàn kế hoạch phát triển kinh tế.",
        province="Lạng Sơn",
        province_2025="Lạng Sơn",
        topics=["Kinh tế"],
        date=dt.date(2024, 1, i),
    )


# --- the command line ------------------------------------------------------------------


def test_debug_lines_on_stderr_of_a_real_process(tmp_path, seed_dir):
    """`vnsearch --log-level debug index`: compact lines of vnsearch's loggers on stderr."""
    proc = subprocess.run(
        [sys.executable, "-m", "search", "--log-level", "debug", "index", str(seed_dir)]
        + ["--index", str(tmp_path / "index"), "--workers", "1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if LINE.match(line)]
    assert any(" DEBUG search.vocab: vocabulary " in line for line in lines), proc.stderr
    assert any(" INFO search.cli: index run on " in line for line in lines), proc.stderr
    # The summary stays on stdout, log lines never go there.
    assert proc.stdout.strip() and not any(LINE.match(x) for x in proc.stdout.splitlines())


@pytest.mark.parametrize(
    "args, env, shown, hidden",
    [
        ([], {}, [], ["INFO", "DEBUG"]),
        ([], {"VNSEARCH_LOG_LEVEL": "info"}, ["INFO search.cli"], ["DEBUG"]),
        (["--log-level", "DEBUG"], {"VNSEARCH_LOG_LEVEL": "error"}, ["DEBUG search.", "INFO"], []),
        (["--log-level", "error"], {"VNSEARCH_LOG_LEVEL": "debug"}, [], ["INFO", "DEBUG"]),
    ],
)
def test_log_level_from_option_over_environment(tmp_path, seed_dir, args, env, shown, hidden):
    index = tmp_path / "index"
    result = invoke([*args, "index", str(seed_dir), "--index", str(index), "--workers", "1"], env)
    assert result.exit_code == 0, result.output
    for text in shown:
        assert text in result.stderr, result.stderr
    for text in hidden:
        assert f" {text} " not in result.stderr, result.stderr


def test_skipped_inputs_and_the_summary_are_logged(tmp_path, seed_dir):
    bad = tmp_path / "in" / "broken.json"
    bad.parent.mkdir()
    bad.write_text("{not json", "utf-8")
    result = invoke(["--log-level", "info", "index", str(bad), "--index", str(tmp_path / "i")])
    assert result.exit_code == 1, result.output
    assert re.search(r"INFO search\.cli: skipped .*broken\.json: ", result.stderr), result.stderr
    assert "INFO search.cli: index run on " in result.stderr


def test_a_vocabulary_rebuild_is_logged(tmp_path, index_dir):
    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy)
    for f in copy.glob("vocab.sqlite*"):
        f.unlink()
    result = invoke(["--log-level", "info", "check", "--repair", "--index", str(copy)])
    assert result.exit_code == 0, result.output
    assert re.search(
        r"INFO search\.vocab: vocabulary .*vocab\.sqlite rebuilt from \d+ articles", result.stderr
    ), result.stderr


def test_crawler_decisions_are_logged(tmp_path):
    with cs.Site() as site:
        result = invoke(
            ["--log-level", "debug", "crawl", site.base + "/", "--index", str(tmp_path / "i")]
            + ["--delay", "0", "--timeout", "0.5", "--user-agent", "log-test/1 (+http://x.vn)"]
        )
    assert result.exit_code in (0, 1), result.output
    err = result.stderr
    assert re.search(r"INFO search\.crawl\.fetch: 127\.0\.0\.1:\d+: robots\.txt read", err), err
    assert re.search(r"INFO search\.crawl\.fetch: .*: disallowed by robots\.txt", err), err
    assert re.search(r"DEBUG search\.crawl\.fetch: GET http://127\.0\.0\.1:\d+/\S*: HTTP 200", err)
    assert "INFO search.crawl.run: crawl round over 1 host(s)" in err
    assert re.search(r"INFO search\.crawl\.run: skipped \S+: ", err), err


# --- the site ------------------------------------------------------------------------------


@pytest.mark.parametrize("enabled", [True, False])
def test_access_log_line_per_request(index_dir, caplog, enabled):
    client = create_app(
        {"TESTING": True, "INDEX_DIR": str(index_dir), "ACCESS_LOG": enabled}
    ).test_client()
    with caplog.at_level(logging.INFO, logger=logs.ACCESS):
        assert client.get("/search?q=can+bo").status_code == 200
        assert client.get("/articles/no-such-id").status_code == 404
    lines = [r.getMessage() for r in caplog.records if r.name == logs.ACCESS]
    if not enabled:
        assert lines == []
        return
    assert len(lines) == 2
    assert re.fullmatch(
        r'127\.0\.0\.1 "GET /search\?q=can\+bo HTTP/1\.1" 200 \d+ [\d.]+ms', lines[0]
    )
    assert re.fullmatch(
        r'127\.0\.0\.1 "GET /articles/no-such-id HTTP/1\.1" 404 \d+ [\d.]+ms', lines[1]
    )


def test_the_site_logs_an_index_appearing_and_refreshing(tmp_path, caplog):
    index = tmp_path / "index"
    client = create_app({"TESTING": True, "INDEX_DIR": str(index)}).test_client()
    with caplog.at_level(logging.INFO, logger="web.engine"):
        assert client.get("/search?q=can+bo").status_code == 503
        assert client.get("/search?q=can+bo").status_code == 503  # logged once
        add_articles(index, [article(1), article(2)])
        assert client.get("/search?q=can+bo").status_code == 200
        add_articles(index, [article(3)])
        assert client.get("/search?q=can+bo").status_code == 200
        assert client.get("/search?q=can+bo").status_code == 200  # no change: no line
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "web.engine"]
    assert [level for level, _ in lines] == ["WARNING", "INFO", "INFO"], lines
    assert lines[0][1].startswith(f"index {index} unusable, answering 503: IndexMissing")
    assert lines[1][1] == f"index {index} opened: 2 articles"
    assert lines[2][1] == f"index {index} refreshed: 3 articles (was 2)"


# --- the suggester survives a damaged vocabulary, and says so ------------------------------


def _garbage(path: Path) -> None:
    path.write_bytes(b"not an sqlite database " * 200)


def _directory(path: Path) -> None:
    path.mkdir()


@pytest.mark.parametrize("damage", [_garbage, _directory], ids=["garbage", "directory"])
def test_a_swallowed_sqlite_error_is_logged_once_at_warning(tmp_path, index_dir, caplog, damage):
    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy)
    vocab = vocab_path(copy)
    for f in copy.glob("vocab.sqlite*"):
        f.unlink()
    damage(vocab)
    suggester = Suggester(copy, lm=None)
    with caplog.at_level(logging.DEBUG, logger="search.suggest"):
        assert suggester.restore("can bo cap xa") == "can bo cap xa"  # nothing restored
        assert suggester.restore("can bo cap xa") == "can bo cap xa"
    records = [r for r in caplog.records if r.name == "search.suggest"]
    assert [r.levelname for r in records] == ["WARNING", "DEBUG"]
    warning = records[0]
    assert str(vocab) in warning.getMessage()
    assert "DatabaseError" in warning.getMessage() or "OperationalError" in warning.getMessage()
    assert warning.exc_info is not None  # the exception itself, when debugging
    suggester.close_all()


def test_the_site_answers_with_a_damaged_vocabulary_and_logs_it(tmp_path, index_dir, caplog):
    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy)
    for f in copy.glob("vocab.sqlite*"):
        f.unlink()
    _garbage(vocab_path(copy))
    client = create_app({"TESTING": True, "INDEX_DIR": str(copy)}).test_client()
    with caplog.at_level(logging.WARNING, logger="search.suggest"):
        assert client.get("/api/search?q=can+bo").status_code == 200
    warnings = [r for r in caplog.records if r.name == "search.suggest"]
    assert len(warnings) == 1 and warnings[0].levelname == "WARNING"
    assert warnings[0].exc_info is None  # one line, no traceback, unless debugging
