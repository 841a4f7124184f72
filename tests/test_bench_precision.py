"""The ground truth of ``python -m bench precision`` on a tiny real index of hand-made articles."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import pytest

from search.analysis import fold
from search.article import Article
from search.engine import open_engine

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `bench` is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from bench import precision as P  # noqa: E402 (after the sys.path entry above)

# The benchmark reads its ground truth from Whoosh's stored fields.
pytestmark = pytest.mark.whoosh_only

ARTICLES = [
    # "hoà giải" in the new tone placement, in the title.
    Article(id="hoa-giai", title="Hoà giải ở cơ sở", body="Tổ hòa giải thôn họp định kỳ."),
    # "hóa giải" (another tone) inside "văn hoá giải trí": folded it is "hoa giai".
    Article(id="van-hoa", title="Văn hoá giải trí cuối tuần", body="Nhiều hoạt động vui chơi."),
    # "Hòa" ends the title and "giải" starts the body: never one phrase.
    Article(id="khanh-hoa", title="Tin Khánh Hòa", body="Giải đáp thắc mắc của bạn đọc."),
    # "nông thôn" ends the lead, "mới" starts the body: every word, but no phrase.
    Article(
        id="lead-body",
        title="Xây dựng",
        lead="Kết quả xây dựng nông thôn",
        body="mới được tổng kết.",
    ),
    # Captions are one part, joined by a newline: a phrase runs across two captions.
    Article(
        id="captions",
        title="Ảnh",
        body="Người dân đi họp.",
        captions=["Cơn bão số", "9 đổ bộ vào bờ"],
    ),
    # báo and bao, not bão; an eth look-alike and decomposed (NFD) accents.
    Article(
        id="bao-cao",
        title=unicodedata.normalize("NFD", "Báo cáo tình hình ở ÐÀ NẴNG"),
        body="Bao giờ có báo cáo?",
    ),
    Article(id="lai-chau", title="Tỉnh Lai Châu", body="Kiểm tra công tác phòng chống lũ."),
]


@pytest.fixture(scope="module")
def tiny_index(articles_index) -> Path:
    """A real index holding only ARTICLES."""
    return articles_index(ARTICLES, "precision-index")


@pytest.fixture(scope="module")
def truth(tiny_index) -> P.Truth:
    return P.truth_from_index(tiny_index)


def found(mask, truth: P.Truth) -> set[str]:
    return {truth.ids[i] for i, m in enumerate(mask) if m}


def test_truth_reads_every_stored_article(truth):
    assert sorted(truth.ids) == sorted(a.id for a in ARTICLES)


@pytest.mark.parametrize(
    "typed, expected",
    [
        # Accents typed: only that syllable, either tone placement.
        ("hòa giải", {"hoa-giai"}),
        ("hoà giải", {"hoa-giai"}),
        ("HÒA GIẢI", {"hoa-giai"}),
        ("hóa giải", {"van-hoa"}),
        # No accents typed: every variant, still never across two parts.
        ("hoa giai", {"hoa-giai", "van-hoa"}),
        ("bão", {"captions"}),
        ("báo", {"bao-cao"}),
        ("bao", {"bao-cao", "captions"}),
        ("Đà Nẵng", {"bao-cao"}),
        ("da nang", {"bao-cao"}),
        ("nông thôn mới", set()),
        ("nông thôn", {"lead-body"}),
        ("số 9 đổ bộ", {"captions"}),
        ("bộ vào", {"captions"}),
        # A syllable without marks inside an accented query matches any marks.
        ("tỉnh Lai Chau", {"lai-chau"}),
        ("tinh lai chau", {"lai-chau"}),
        ("Lai Cháu", set()),
        ("phòng chống lũ", {"lai-chau"}),
        ("phòng chống lú", set()),
        ("nowhere", set()),
    ],
)
def test_phrase(truth, typed, expected):
    assert found(truth.phrase(typed.split()), truth) == expected


@pytest.mark.parametrize(
    "line, expected_words, expected_phrase",
    [
        ("nông thôn | mới", {"lead-body"}, set()),
        ("nong thon | moi", {"lead-body"}, set()),
        ("hòa | giải", {"hoa-giai", "khanh-hoa"}, {"hoa-giai"}),
        ("hoa | giai", {"hoa-giai", "khanh-hoa", "van-hoa"}, {"hoa-giai", "van-hoa"}),
        ("báo cáo | bao giờ", {"bao-cao"}, set()),
        ("bão | số", {"captions"}, {"captions"}),
        ("bão | đổ bộ", {"captions"}, set()),
        ("bao | gio", {"bao-cao"}, {"bao-cao"}),
    ],
)
def test_every_word_and_whole_phrase(truth, line, expected_words, expected_phrase):
    q = P.parse_query(line)
    assert found(truth.every_word(q), truth) == expected_words
    assert found(truth.phrase(q.syllables), truth) == expected_phrase


def test_score_counts_precision_recall_and_first_page(truth):
    q = P.parse_query("hòa giải")
    # One word: khanh-hoa has both syllables, in two parts, so it is not counted.
    s = truth.score(q, ["hoa-giai", "van-hoa", "khanh-hoa", "ghost"], ["van-hoa", "hoa-giai"])
    assert s["matched"] == 4 and s["unknown_ids"] == 1
    assert (s["with_every_word"], s["with_phrase"]) == (1, 1)
    assert s["precision"] == pytest.approx(1 / 4)
    assert s["recall"] == 1.0
    assert s["precision@10"] == 0.5
    folded = truth.score(q.folded(), ["hoa-giai", "van-hoa", "khanh-hoa", "lai-chau"], [])
    assert folded["precision"] == pytest.approx(2 / 4)
    assert folded["with_phrase"] == 2 and folded["recall"] == 1.0
    assert truth.score(q.folded(), ["van-hoa", "khanh-hoa"], [])["recall"] == 0.5
    assert truth.score(q, ["khanh-hoa"], [])["recall"] == 0.0
    split = truth.score(P.parse_query("hòa | giải"), ["hoa-giai", "van-hoa", "khanh-hoa"], [])
    assert (split["with_every_word"], split["precision"]) == (2, pytest.approx(2 / 3))
    nothing = truth.score(P.parse_query("nowhere"), [], [])
    assert nothing["recall"] is None and nothing["precision"] == 1.0


@pytest.mark.parametrize(
    "line, words, kind",
    [
        ("nông thôn | mới", (("nông", "thôn"), ("mới",)), "phrase"),
        ("  Đà Nẵng ", (("Đà", "Nẵng"),), "word"),
        ("bão", (("bão",),), "syllable"),
    ],
)
def test_parse_query(line, words, kind):
    q = P.parse_query(line)
    assert (q.words, q.kind) == (words, kind)
    assert q.text == " ".join(line.replace("|", " ").split())


@pytest.mark.parametrize(
    "line, words, text",
    [
        ("[vì sao] | giá lúa | tăng", (("giá", "lúa"), ("tăng",)), "vì sao giá lúa tăng"),
        ("hộ nghèo | [là gì]", (("hộ", "nghèo"),), "hộ nghèo là gì"),
    ],
)
def test_parse_query_with_question_words(line, words, text):
    # Typed, but no article need hold them: the measure counts the other words only.
    q = P.parse_query(line)
    assert (q.words, q.text) == (words, text)
    assert q.folded().text == fold(text)
    assert q.folded().words == tuple(tuple(fold(s) for s in w) for w in words)
    assert q.syllables == tuple(s for w in words for s in w)


@pytest.mark.parametrize("line", ["", "  |  ", "nông thôn || mới", "| mới", "[vì sao]", "[]"])
def test_parse_query_refuses_empty_words(line):
    with pytest.raises(ValueError):
        P.parse_query(line)


def test_read_queries(tmp_path):
    f = tmp_path / "q.txt"
    f.write_text("# comment\nplace\tĐà Nẵng\n\nnông thôn | mới  # trailing\n", "utf-8")
    qs = P.read_queries(f)
    assert [(q.kind, q.text) for q in qs] == [("place", "Đà Nẵng"), ("phrase", "nông thôn mới")]
    f.write_text("ok\nbad ||\n", "utf-8")
    with pytest.raises(ValueError, match=r"q.txt:2"):
        P.read_queries(f)


def test_builtin_queries():
    qs = [P.parse_query(text, kind) for kind, text in P.QUERIES]
    assert len(qs) >= 60 and len({q.text for q in qs}) == len(qs)
    assert {q.kind for q in qs} == {"syllable", "word", "phrase", "place"}
    assert any(len(q.words) >= 4 for q in qs) and any(len(q.words) == 3 for q in qs)
    assert all(q.folded() != q for q in qs)  # each has accents to type or leave out


@pytest.mark.parametrize("line", ["hòa giải", "hoa giai", "bão", "nông thôn | mới"])
def test_run_query_reads_every_match(tiny_index, truth, line):
    q = P.parse_query(line)
    engine = open_engine(tiny_index)
    try:
        r = P.run_query(engine, truth, q, "accented")
    finally:
        engine.close_all()
    assert r["matched"] == r["total"] == r["ids_distinct"]
    assert r["ids_via"] in ("match_ids", "paging")
    assert 0.0 <= r["precision"] <= 1.0
    assert r["recall"] is None or 0.0 <= r["recall"] <= 1.0


def test_summary_targets_and_worst():
    runs = [
        {
            "query": f"q{i}",
            "typing": t,
            "kind": "word",
            "words": f"q{i}",
            "precision": p,
            "recall": rc,
            "precision@10": p,
            "matched": 10,
            "with_every_word": 5,
            "with_phrase": 5,
            "fallback": False,
            "ms_search": 1.0,
        }
        for i, (t, p, rc) in enumerate(
            [
                ("accented", 1.0, 1.0),
                ("accented", 0.9, 1.0),
                ("unaccented", 1.0, 0.5),
                ("unaccented", 1.0, None),
            ]
        )
    ]
    s = P.summarise(runs)
    assert s["accented"]["mean_precision"] == 0.95 and s["accented"]["mean_recall"] == 1.0
    assert s["unaccented"]["mean_recall"] == 0.5
    assert s["targets"]["accented_mean_precision"]["met"]
    assert not s["targets"]["unaccented_mean_recall"]["met"]
    assert not s["targets_met"]
    assert [w["query"] for w in s["worst"][:2]] == ["q2", "q1"]
