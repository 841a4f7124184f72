"""The vnsearch command line, through click's runner and as a real process."""
import json
import subprocess
import sys

import pytest

from search.cli import REPORT_FILE, cli

SEED = "004_746fea586429b06c"


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help(runner, name):
    result = runner.invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert cli.commands[name].help


def test_index_then_search(runner, seed_dir, empty_index):
    result = runner.invoke(cli, ["index", str(seed_dir), "--index", str(empty_index)])
    assert result.exit_code == 0, result.output
    assert "indexed 5, merged 0, unchanged 0, skipped 0" in result.output
    report = json.loads((empty_index / REPORT_FILE).read_text("utf-8"))
    assert report["indexed"] == 5

    again = runner.invoke(cli, ["index", str(seed_dir), "--index", str(empty_index), "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["unchanged"] == 5

    found = runner.invoke(cli, ["search", "70/2009/QD-TTG", "--index", str(empty_index)])
    assert found.exit_code == 0, found.output
    assert "1 kết quả" in found.output
    assert SEED in found.output


def test_search_json_shape(runner, index_dir):
    result = runner.invoke(cli, ["search", "can bo cap xa", "--index", str(index_dir), "--json",
                                 "--limit", "3"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert d["query"] == "can bo cap xa"
    assert d["total"] >= 5
    assert len(d["hits"]) == 3
    assert set(d["hits"][0]) >= {"id", "title", "url", "date", "province", "province_2025",
                                 "topics", "snippet", "score"}
    assert set(d["facets"]) == {"province", "province_2025", "topic", "year"}
    assert "suggestion" in d


@pytest.mark.parametrize("args, expected_ids", [
    (["--province", "Bắc Kạn"], {"syn/old-style", "syn/eth"}),
    (["--province-2025", "Thái Nguyên", "--year", "2020"], {"syn/eth"}),
    (["--topic", "Giảm nghèo"], {"syn/caption-only"}),
    (["--from", "2024-01-01", "--to", "2024-12-31"], {"syn/hiểu một lần", "syn/caption-only"}),
])
def test_search_filters(runner, index_dir, args, expected_ids):
    result = runner.invoke(cli, ["search", "", "--index", str(index_dir), "--json",
                                 "--limit", "100", *args])
    assert result.exit_code == 0, result.output
    assert expected_ids <= {h["id"] for h in json.loads(result.output)["hits"]}


def test_search_sort_and_page(runner, index_dir):
    pages = []
    for page in (1, 2):
        result = runner.invoke(cli, ["search", "dân", "--index", str(index_dir), "--json",
                                     "--sort", "date", "--limit", "2", "--page", str(page)])
        assert result.exit_code == 0, result.output
        pages.append([h["id"] for h in json.loads(result.output)["hits"]])
    assert len(pages[0]) == 2
    assert not set(pages[0]) & set(pages[1])


def test_show_json(runner, index_dir):
    result = runner.invoke(cli, ["show", SEED, "--index", str(index_dir), "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert d["id"] == SEED
    assert {"id", "title", "lead", "body", "date", "author", "outlet", "url", "urls",
            "province", "province_2025", "district", "commune", "topics", "captions",
            "policy_refs", "source_path"} <= set(d)
    assert "70/2009/QD-TTG" in [r["key"] for r in d["policy_refs"]]


def test_show_text(runner, index_dir):
    result = runner.invoke(cli, ["show", "syn/hiểu một lần", "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert "Người dân hiểu rõ chính sách mới" in result.output


def test_stats(runner, index_dir):
    result = runner.invoke(cli, ["stats", "--index", str(index_dir), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["articles"] >= 12
    human = runner.invoke(cli, ["stats", "--index", str(index_dir)])
    assert "schema version" in human.output


@pytest.mark.parametrize("args", [
    ["search", "cán bộ"], ["show", "x"], ["stats"],
])
def test_missing_index_is_one_line_and_status_2(runner, tmp_path, args):
    result = runner.invoke(cli, [*args, "--index", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "no index at" in result.output
    assert "Traceback" not in result.output


def test_unknown_article_is_status_2(runner, index_dir):
    result = runner.invoke(cli, ["show", "no/such", "--index", str(index_dir)])
    assert result.exit_code == 2
    assert "no article with id" in result.output


@pytest.mark.parametrize("args, message", [
    (["--page", "0"], "--page"), (["--limit", "500"], "--limit"),
    (["--from", "2024-99-01"], "Lỗi: --from: ngày phải có dạng dd/mm/yyyy"),
    (["--to", "hôm qua"], "Lỗi: --to: ngày phải có dạng dd/mm/yyyy"),
    (["--page", "1001"], "page: số trang phải từ 1 đến 1000"),
])
def test_bad_search_arguments(runner, index_dir, args, message):
    result = runner.invoke(cli, ["search", "cán bộ", "--index", str(index_dir), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_skipped_files_give_status_1(runner, seed_dir, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    result = runner.invoke(cli, ["index", str(seed_dir), str(bad), "--index",
                                 str(tmp_path / "ix")])
    assert result.exit_code == 1
    assert "skipped 1" in result.output


def test_extract_prints_records_without_indexing(runner, seed_dir):
    result = runner.invoke(cli, ["extract", str(seed_dir / f"{SEED}.txt"), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output.splitlines()[0])
    assert record["id"] == SEED


def test_python_dash_m_search(index_dir):
    proc = subprocess.run([sys.executable, "-m", "search", "search", "Pác Nặm", "--index",
                           str(index_dir), "--json"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["hits"][0]["id"] == SEED
