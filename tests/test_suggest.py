"""Accent restoration from the index vocabulary (search.vocab, search.suggest)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from pathlib import Path

import pytest

from search.article import Article
from search.cli import cli
from search.query import parse
from search.suggest import Suggester
from search.vocab import Vocabulary, clauses

TEXTS = [
    "Cán bộ cấp xã được tập huấn về cải cách hành chính.",
    "Ủy ban nhân dân tỉnh yêu cầu cán bộ cấp xã bám sát cơ sở.",
    "Hội đồng nhân dân xã họp phiên thường kỳ; cán bộ, công chức dự họp.",
    "Cô giáo hòa đồng với học sinh. Người dân hòa đồng, thân thiện.",
    "Năm 2023, xã đạt chuẩn nông thôn mới.",
    "Cần có cơ chế đặc thù cho cán bộ cấp xã.",
]


@pytest.fixture
def index_dir(tmp_path):
    with Vocabulary(tmp_path) as vocab:
        for text in TEXTS:
            vocab.add(text)
    return tmp_path


@pytest.fixture
def suggester(index_dir):
    s = Suggester(index_dir)
    yield s
    s.close_all()


@pytest.mark.parametrize(
    "typed, restored",
    [
        ("can bo cap xa", "cán bộ cấp xã"),
        ("Can bo cap xa", "Cán bộ cấp xã"),
        ("CAN BO", "CÁN BỘ"),
        ("hoa dong", "hòa đồng"),
        ("hoi dong nhan dan xa", "hội đồng nhân dân xã"),
        ("uy ban nhan dan tinh", "ủy ban nhân dân tỉnh"),
        ("nong thon moi nam 2024", "nông thôn mới năm 2024"),
        ("can co co che dac thu", "cần có cơ chế đặc thù"),
        ("cai cach hanh chinh, can bo", "cải cách hành chính, cán bộ"),
    ],
)
def test_restore(suggester, typed, restored):
    assert suggester.restore(typed) == restored


def test_unknown_words_and_numbers_kept(suggester):
    assert suggester.restore("can bo xyzzy 2.500 covid19") == "cán bộ xyzzy 2.500 covid19"


def test_typed_accents_are_kept(suggester):
    # A syllable the user did accent is not second-guessed.
    assert suggester.restore("cạn bo") == "cạn bộ"


def test_suggest_keeps_operators(suggester):
    pq = parse('"can bo" cap xa -hoi dong OR nong thon')
    text, accents = suggester.suggest(pq)
    assert text == '"cán bộ" cấp xã -hội đồng OR nông thôn'
    assert len(accents) == len(pq.positive_syllables)
    assert accents == ["cán", "bộ", "cấp", "xã", "đồng", "nông", "thôn"]


def test_nothing_to_add(suggester):
    assert suggester.suggest(parse("xyzzy 2024")) == (None, None)


def test_missing_vocabulary(tmp_path):
    s = Suggester(tmp_path / "no-index")
    assert s.suggest(parse("can bo cap xa")) == (None, None)
    assert s.restore("can bo") == "can bo"
    s.close()


def test_reindex_subtracts_old_text(tmp_path):
    with Vocabulary(tmp_path) as vocab:
        vocab.add("Cán bộ cấp xã.")
    s = Suggester(tmp_path)
    assert s.restore("can bo") == "cán bộ"
    with Vocabulary(tmp_path) as vocab:  # the article changed
        vocab.add("Cán bộ cấp xã.", -1)
        vocab.add("Cần bỏ cấp xã.")
        stats = vocab.stats()
    assert s.restore("can bo") == "cần bỏ"
    assert stats["documents"] == 1
    assert stats["bigrams"] == 5  # <s> cần bỏ cấp xã </s>: nothing of the old text
    s.close()


def test_close_discards_uncommitted(tmp_path):
    vocab = Vocabulary(tmp_path)
    vocab.add("Cán bộ cấp xã.")
    vocab.commit()
    vocab.add("Hòa bình.")  # its index batch was cancelled
    vocab.close()
    with Vocabulary(tmp_path) as vocab:
        assert vocab.stats()["documents"] == 1
        assert vocab.stats()["syllables"] == 6  # <s> </s> cán bộ cấp xã


def test_refresh_after_another_writer_commits(index_dir):
    # The index alone: whether "bình" is known must depend on its commits only
    # (the general model knows it; see tests/test_lm.py).
    suggester = Suggester(index_dir, lm=None)
    assert suggester.restore("hoa binh") == "hòa binh"
    vocab = Vocabulary(index_dir)
    vocab.add("Hòa bình và hợp tác.")
    assert suggester.restore("hoa binh") == "hòa binh"  # not committed yet
    vocab.commit()
    assert suggester.restore("hoa binh") == "hòa bình"
    vocab.reset()  # the index is rebuilt from nothing
    vocab.commit()
    assert suggester.restore("hoa binh") == "hoa binh"
    vocab.close()
    suggester.close_all()


def test_concurrent_suggest(suggester):
    queries = ["can bo cap xa", "hoi dong nhan dan", "hoa dong", "uy ban nhan dan tinh"] * 25
    expected = [suggester.suggest(parse(q)) for q in queries]
    results, errors = {}, []

    def work(n):
        try:
            results[n] = [suggester.suggest(parse(q)) for q in queries]
        except Exception as e:  # noqa: BLE001 (any failure in a thread is surfaced below)
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(r == expected for r in results.values())


def test_clauses_stop_at_punctuation():
    assert clauses("Cán bộ, công chức: 2.200 người.") == [
        ["cán", "bộ"],
        ["công", "chức"],
        ["<num>", "người"],
    ]


def test_add_rejects_bad_sign(tmp_path):
    with Vocabulary(tmp_path) as vocab, pytest.raises(ValueError):
        vocab.add("cán bộ", 2)


@contextlib.contextmanager
def read_only(index: Path):
    """Every folder of ``index`` made unwritable, as a read-only mount or another user's
    replica is: root ignores permission bits, so as root the folders are made immutable."""
    folders = [index, *(Path(r) / d for r, ds, _ in os.walk(index) for d in ds)]
    if os.geteuid() == 0:
        done = subprocess.run(
            ["chattr", "+i", *map(str, folders)], check=False, capture_output=True
        )
        if done.returncode:
            pytest.skip(f"chattr +i is not allowed here: {done.stderr.decode()[:200]}")
        undo = ["chattr", "-i", *map(str, folders)]
    else:
        for f in folders:
            f.chmod(0o555)
        undo = None
    try:
        with pytest.raises(OSError):
            (index / "probe").touch()
        yield
    finally:
        if undo:
            subprocess.run(undo, check=True)
        else:
            for f in folders:
                f.chmod(0o755)


def test_a_read_only_folder_still_restores_accents(index_dir):
    with read_only(index_dir):
        s = Suggester(index_dir, lm=None)
        try:
            assert s.restore("can bo cap xa") == "cán bộ cấp xã"
        finally:
            s.close_all()


def test_a_vocabulary_read_as_immutable_is_read_again_once_it_changed(index_dir):
    s = Suggester(index_dir, lm=None)
    try:
        with read_only(index_dir):
            assert s.restore("hoa binh") == "hòa binh"
        with Vocabulary(index_dir) as vocab:  # written while the folder may be written
            vocab.add("Hòa bình và hợp tác.")
            vocab.commit()
        with read_only(index_dir):
            assert s.restore("hoa binh") == "hòa bình"
    finally:
        s.close_all()


def test_search_and_check_on_a_read_only_index(articles_index, runner, client_for):
    ix = articles_index(
        [Article(id="a", title="Cán bộ cấp xã", body="Cán bộ cấp xã được tập huấn.")], "ro"
    )
    with read_only(ix):
        result = runner.invoke(cli, ["search", "can bo", "--index", str(ix), "--json"])
        assert result.exit_code == 0, result.output
        assert '"suggestion": "cán bộ"' in result.output
        api = client_for(ix).get("/api/search", query_string={"q": "can bo"})
        assert api.status_code == 200 and api.get_json()["suggestion"] == "cán bộ"
        result = runner.invoke(cli, ["check", "--index", str(ix)])
        # Not "không phải cơ sở dữ liệu SQLite": a check writes nothing.
        assert result.exit_code == 0 and "chỉ mục tốt" in result.output, result.output
