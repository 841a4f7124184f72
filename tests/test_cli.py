"""The vnsearch command line, through click's runner and as a real process."""

import json
import re
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
    assert "đã lập chỉ mục 5, gộp 0, không đổi 0, bỏ qua 0" in result.output
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
    result = runner.invoke(
        cli, ["search", "can bo cap xa", "--index", str(index_dir), "--json", "--limit", "3"]
    )
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert d["query"] == "can bo cap xa"
    assert d["total"] == 4  # the seeds with "cấp xã" side by side
    assert len(d["hits"]) == 3
    assert set(d["hits"][0]) >= {
        "id",
        "title",
        "url",
        "date",
        "province",
        "province_2025",
        "topics",
        "snippet",
        "score",
    }
    assert set(d["facets"]) == {"province", "province_2025", "topic", "year", "outlet", "district"}
    assert set(d["timeline"]) == {"unit", "bins", "undated"}
    assert d["map"]["level"] == "province" and d["map"]["counts"]
    assert "suggestion" in d


@pytest.mark.parametrize(
    "args, expected_ids",
    [
        (["--province", "Bắc Kạn"], {"syn/old-style", "syn/eth"}),
        (["--province-2025", "Thái Nguyên", "--year", "2020"], {"syn/eth"}),
        (["--topic", "Giảm nghèo"], {"syn/caption-only"}),
        (["--from", "2024-01-01", "--to", "2024-12-31"], {"syn/hiểu một lần", "syn/caption-only"}),
    ],
)
def test_search_filters(runner, index_dir, args, expected_ids):
    result = runner.invoke(
        cli, ["search", "", "--index", str(index_dir), "--json", "--limit", "100", *args]
    )
    assert result.exit_code == 0, result.output
    assert expected_ids <= {h["id"] for h in json.loads(result.output)["hits"]}


def test_search_sort_and_page(runner, index_dir):
    pages = []
    for page in (1, 2):
        result = runner.invoke(
            cli,
            [
                "search",
                "dân",
                "--index",
                str(index_dir),
                "--json",
                "--sort",
                "date",
                "--limit",
                "2",
                "--page",
                str(page),
            ],
        )
        assert result.exit_code == 0, result.output
        pages.append([h["id"] for h in json.loads(result.output)["hits"]])
    assert len(pages[0]) == 2
    assert not set(pages[0]) & set(pages[1])


def test_show_json(runner, index_dir):
    result = runner.invoke(cli, ["show", SEED, "--index", str(index_dir), "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert d["id"] == SEED
    assert {
        "id",
        "title",
        "lead",
        "body",
        "date",
        "author",
        "outlet",
        "url",
        "urls",
        "province",
        "province_2025",
        "district",
        "commune",
        "topics",
        "captions",
        "policy_refs",
        "source_path",
        "indexed",
    } <= set(d)
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
    assert "phiên bản lược đồ" in human.output


@pytest.mark.parametrize(
    "args",
    [
        ["search", "cán bộ"],
        ["show", "x"],
        ["stats"],
    ],
)
def test_missing_index_is_one_line_and_status_2(runner, tmp_path, args):
    result = runner.invoke(cli, [*args, "--index", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert (
        result.output
        == f"Lỗi: chưa có chỉ mục ở {tmp_path / 'none'}: hãy tạo bằng lệnh `vnsearch index`\n"
    )


def test_unknown_article_is_status_2(runner, index_dir):
    result = runner.invoke(cli, ["show", "no/such", "--index", str(index_dir)])
    assert result.exit_code == 2
    assert result.output == "Lỗi: không có bài viết nào với mã 'no/such'\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--page", "0"], "--page"),
        (["--limit", "500"], "--limit"),
        (["--from", "2024-99-01"], "Lỗi: --from: ngày phải có dạng dd/mm/yyyy"),
        (["--to", "hôm qua"], "Lỗi: --to: ngày phải có dạng dd/mm/yyyy"),
        (["--page", "1001"], "page: số trang phải từ 1 đến 1000"),
    ],
)
def test_bad_search_arguments(runner, index_dir, args, message):
    result = runner.invoke(cli, ["search", "cán bộ", "--index", str(index_dir), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_skipped_files_give_status_1(runner, seed_dir, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    result = runner.invoke(cli, ["index", str(seed_dir), str(bad), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 1
    assert "bỏ qua 1" in result.output


def test_extract_prints_records_without_indexing(runner, seed_dir):
    result = runner.invoke(cli, ["extract", str(seed_dir / f"{SEED}.txt"), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output.splitlines()[0])
    assert record["id"] == SEED


def test_python_dash_m_search(index_dir):
    proc = subprocess.run(
        [sys.executable, "-m", "search", "search", "Pác Nặm", "--index", str(index_dir), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["hits"][0]["id"] == SEED


def _write_articles(path, n: int, start: int = 0) -> list[str]:
    """``n`` short real-looking articles as JSON lines (gzip when the name ends .gz); their ids."""
    import gzip

    places = ["xã Mường Luân", "phường Hòa Bình", "huyện Điện Biên Đông", "thị trấn Na Hang"]
    works = ["sửa đường liên thôn", "tiêm chủng cho trẻ", "hỗ trợ hộ nghèo", "trồng rừng phòng hộ"]
    ids, lines = [], []
    for i in range(start, start + n):
        ids.append(f"gen-{i}")
        lines.append(
            json.dumps(
                {
                    "id": f"gen-{i}",
                    "title": f"Bài {i}: {works[i % 4]} ở {places[i % 3]}",
                    "body": f"Ủy ban nhân dân {places[i % 3]} họp bàn việc {works[i % 4]}, "
                    f"đợt {i}, với {i % 17 + 3} hộ dân tham gia.",
                },
                ensure_ascii=False,
            )
        )
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if path.name.endswith(".gz"):
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)
    return ids


@pytest.fixture(scope="module")
def mixed_inputs(tmp_path_factory):
    """Inputs of every kind: seeds, a .jsonl.gz of 300 articles, and lines that are skipped."""
    import shutil

    from conftest import SEEDS

    d = tmp_path_factory.mktemp("mixed")
    for f in sorted(SEEDS.iterdir())[:2]:
        shutil.copy(f, d / f.name)
    _write_articles(d / "many.jsonl.gz", 300)
    # A BOM, a blank line, a bad line and a duplicate id: each blank is nothing, each other one item.
    good = json.dumps(
        {"id": "extra-1", "title": "Họp dân", "body": "Xã họp dân bàn việc."}, ensure_ascii=False
    )
    (d / "odd.jsonl").write_bytes(
        b"\xef\xbb\xbf" + good.encode() + b"\n\n   \n{not json\n" + good.encode() + b"\n"
    )
    (d / "notes.pdf").write_bytes(b"%PDF")  # not an input: ignored in a folder
    return d


@pytest.mark.whoosh_only  # Whoosh's segment merges
def test_index_summary_has_elapsed_rate_and_merges(runner, mixed_inputs, tmp_path):
    from search.progress import count_records

    index = tmp_path / "index"
    # Small batches: many segments, so that Whoosh merges some during the run.
    result = runner.invoke(
        cli,
        [
            "index",
            str(mixed_inputs),
            "--index",
            str(index),
            "--json",
            "--batch-size",
            "5",
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 1, result.output  # the bad line and the duplicate
    summary = json.loads(result.stdout)
    assert summary["indexed"] + summary["merged"] == 303  # 2 seeds, 300 generated, extra-1
    assert summary["records"] == count_records([mixed_inputs]) == 305
    assert summary["elapsed_s"] > 0
    assert summary["articles_per_s"] == pytest.approx(
        summary["indexed"] / summary["elapsed_s"], rel=0.01
    )
    assert summary["segment_merges"] >= 1
    assert result.stderr.count("đang gộp các phân đoạn của chỉ mục…") == summary["segment_merges"]
    kept = json.loads((index / REPORT_FILE).read_text("utf-8"))
    assert {k: kept[k] for k in ("elapsed_s", "articles_per_s", "segment_merges", "records")} == {
        k: summary[k] for k in ("elapsed_s", "articles_per_s", "segment_merges", "records")
    }

    text = runner.invoke(cli, ["index", str(mixed_inputs), "--index", str(index)])
    assert text.exit_code == 1, text.output
    line = text.stdout.strip().splitlines()[-1]
    assert re.search(
        r"không đổi 303, bỏ qua 2 trong \d+\.\d giây \(0 bài/giây, 0 lần gộp phân đoạn\)", line
    ), line


def test_progress_counts_every_record_up_to_the_total(mixed_inputs, tmp_path):
    from search.ingest import index_paths
    from search.progress import count_records

    total = count_records([mixed_inputs])
    for run in ("first", "unchanged"):
        steps: list[int] = []
        index_paths([mixed_inputs], tmp_path / "index", workers=1, progress=steps.append)
        assert all(n > 0 for n in steps), run  # the running sum only grows
        assert sum(steps) == total == 305, run


def test_progress_total_of_a_cut_gzip_matches_what_is_read(tmp_path):
    from search.ingest import read_paths
    from search.progress import count_records

    whole = tmp_path / "whole.jsonl.gz"
    _write_articles(whole, 200)
    cut = tmp_path / "cut" / "cut.jsonl.gz"
    cut.parent.mkdir()
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    for path in (whole, cut.parent):
        assert count_records([path]) == sum(1 for _ in read_paths([path]))


def test_control_characters_of_an_id_are_escaped(runner, tmp_path):
    f = tmp_path / "odd.jsonl"
    odd = "a\u0001\u001b[31m\n\r\tb"
    f.write_text(
        json.dumps({"id": odd, "title": "Tin về cán bộ", "body": "Cán bộ xã zqodd."}) + "\n",
        "utf-8",
    )
    index = tmp_path / "ix"
    assert runner.invoke(cli, ["index", str(f), "--index", str(index)]).exit_code == 0
    escaped = "a\\x01\\x1b[31m\\n\\r\\tb"
    for args in (["search", "zqodd"], ["show", odd]):
        out = runner.invoke(cli, [*args, "--index", str(index)]).output
        assert escaped in out and "\x1b" not in out and "\r" not in out, out
    out = runner.invoke(cli, ["extract", str(f)]).output
    assert out.startswith(escaped + "\t")
