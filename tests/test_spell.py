"""Typos, Telex/VNI and queries that find nothing: read back, searched, and said so."""

from __future__ import annotations

import json

import pytest

from search import spell
from search.article import Article
from search.cli import cli

ARTICLES = [
    Article(
        id=f"cchc-{i}",
        title=f"Cải cách hành chính ở xã số {i}",
        body="Đẩy mạnh cải cách hành chính, chính sách một cửa; cán bộ cấp xã "
        "tận tình. Cải cách hành chính giúp dân.",
    )
    for i in range(6)
]
ARTICLES += [
    Article(id="fruit", title="Mùa vải chín", body="Vải chín đỏ; chín giờ sáng thu hoạch."),
    Article(id="english", title="Hội thảo", body="Chủ đề of the year; bài nói of the people."),
    Article(id="scatter", title="Cải cách lề lối", body="Đoàn hành quân lúc chín giờ."),
    Article(id="nam-year", title="Tổng kết", body="Cán bộ năm nay được khen; năm sau cũng vậy."),
    Article(id="nam-place", title="Thăm hỏi", body="Cán bộ tỉnh Quảng Nam về thăm."),
]


@pytest.fixture(scope="module")
def sp_index(articles_index):
    return articles_index(ARTICLES, "spell")


@pytest.fixture(scope="module")
def sp(sp_index, engine_for):
    return engine_for(sp_index)


@pytest.mark.parametrize(
    "typed, read",
    [
        ("cans", "cán"),
        ("booj", "bộ"),
        ("caaps", "cấp"),
        ("xax", "xã"),
        ("ddaij", "đại"),
        ("nguwowif", "người"),
        ("tinhr", "tỉnh"),
        ("bo65", "bộ"),
        ("can1", "cán"),
        # The tone key before the final consonant, as keyboards take it too.
        ("vieejt", "việt"),
        ("huyeejn", "huyện"),
        ("nawxng", "nẵng"),
        ("nguwowfi", "người"),
        ("ca1n", "cán"),
        ("vie65t", "việt"),
        ("bo56", "bộ"),
    ],
)
def test_keyboard_decoding(typed, read):
    assert read in spell.decode_keyboard(typed)


@pytest.mark.parametrize("typed", ["class", "2023", "xyz", "list", "test", "host"])
def test_what_no_keyboard_typed_is_not_decoded(typed):
    # Two tone keys after the vowel ("class"), no vowel at all, or English: a tone
    # letter before the end counts only beside a typed Vietnamese letter ("vieejt").
    assert spell.decode_keyboard(typed) == []


@pytest.mark.parametrize("word", ["chinh", "sach", "abc"])
def test_edits_are_one_step(word):
    out = spell.edits(word)
    assert word not in out and all(abs(len(w) - len(word)) <= 1 for w in out)


def test_typo_is_suggested_from_the_neighbours(sp):
    # "scatter" has every typed syllable: the typed query finds it, and the
    # correction is offered rather than searched.
    result = sp.search("cai cach hanh chin")
    assert [h.id for h in result.hits] == ["scatter"] and result.corrected is None
    assert result.suggestion == "cải cách hành chính"


def test_typo_that_finds_nothing_is_searched_corrected(sp):
    result = sp.search("chinnh sach mot cua")
    # The corrected syllable with its accents; the others as typed (any accents),
    # with their accents restored as a suggestion.
    assert result.corrected == "chính sach mot cua"
    assert result.suggestion == "chính sách một cửa"
    assert result.total == 6 and result.query == "chinnh sach mot cua"


@pytest.mark.parametrize("q", ["cans booj caaps xax", "ca1n bo65 ca61p xa4", "caaps xax"])
def test_telex_is_read_back(sp, q):
    result = sp.search(q)
    assert result.corrected in ("cán bộ cấp xã", "cấp xã") and result.total == 6


def test_a_syllable_typed_plain_keeps_every_accent_after_a_correction(sp):
    # "nam" was typed without accents: "năm" and "Nam" both, not the restored one only.
    result = sp.search("cans booj nam")
    assert result.corrected == "cán bộ nam"
    assert {h.id for h in result.hits} == {"nam-year", "nam-place"}


@pytest.mark.parametrize("q", ["chín", "vải chín", "of the"])
def test_real_words_are_left_alone(sp, q):
    result = sp.search(q)
    assert result.corrected is None and result.total >= 1
    assert result.suggestion in (None, q) or "chính" not in (result.suggestion or "")


def test_zero_results_leave_out_the_missing_word(sp):
    result = sp.search("cải cách hành chính cán bộ 2023")
    assert result.missing == ["2023"] and result.total == 6


def test_rescue_through_the_cli_api_and_page(sp_index, runner, client_for):
    r = runner.invoke(cli, ["search", "cải cách hành chính cán bộ 2023", "--index", str(sp_index)])
    assert "Không có: 2023" in r.output
    r = runner.invoke(cli, ["search", "cans booj", "--index", str(sp_index), "--json"])
    assert json.loads(r.output)["corrected"] == "cán bộ"
    client = client_for(sp_index)
    data = client.get(
        "/api/search", query_string={"q": "cải cách hành chính cán bộ 2023"}
    ).get_json()
    assert data["missing"] == ["2023"]
    page = client.get("/search", query_string={"q": "cải cách hành chính cán bộ 2023"}).text
    assert "Không có: <s>2023</s>" in page
    page = client.get("/search", query_string={"q": "chinnh sach mot cua"}).text
    assert "Đang hiển thị kết quả cho" in page and "«chính sach mot cua»" in page
    assert "Có phải bạn muốn tìm" in page and "chính sách một cửa</a>" in page


MORE = ARTICLES + [
    Article(
        id=f"cchc-more-{i}",
        title=f"Cải cách hành chính ở phường số {i}",
        body="Cải cách hành chính được đẩy mạnh; người dân hài lòng.",
    )
    for i in range(6)
]


@pytest.fixture(scope="module")
def sp_many(articles_index):
    return articles_index(MORE, "spell-many")


def test_a_typo_that_finds_little_is_searched_corrected_when_that_finds_many(
    sp_many, engine_for, runner, client_for
):
    # "cai cach hanh chin" finds the one article with each syllable somewhere;
    # corrected, it finds the 12 about cải cách hành chính: those are shown.
    engine = engine_for(sp_many)
    result = engine.search("cai cach hanh chin")
    assert result.corrected == "cai cach hanh chính" and result.typed_total == 1
    assert result.total == 12 and "scatter" not in {h.id for h in result.hits}
    typed = engine.search("cai cach hanh chin", correct=False)
    assert [h.id for h in typed.hits] == ["scatter"] and typed.corrected is None
    assert typed.suggestion == "cải cách hành chính"

    out = runner.invoke(cli, ["search", "cai cach hanh chin", "--index", str(sp_many)]).output
    assert "Chỉ có 1 kết quả cho «cai cach hanh chin»" in out and "--no-correct" in out
    out = runner.invoke(
        cli, ["search", "cai cach hanh chin", "--index", str(sp_many), "--no-correct", "--json"]
    ).output
    assert json.loads(out)["total"] == 1
    client = client_for(sp_many)
    data = client.get("/api/search", query_string={"q": "cai cach hanh chin"}).get_json()
    assert (data["total"], data["typed_total"]) == (12, 1)
    page = client.get("/search", query_string={"q": "cai cach hanh chin"}).text
    assert "Chỉ có 1 kết quả cho «cai cach hanh chin»" in page
    assert 'href="/search?q=cai+cach+hanh+chin&amp;correct=0">Tìm đúng như đã gõ</a>' in page
    page = client.get("/search", query_string={"q": "cai cach hanh chin", "correct": "0"}).text
    assert "Chỉ có 1 kết quả" not in page
    assert "/articles/scatter?" in page
    csv = client.get("/search.csv", query_string={"q": "cai cach hanh chin"}).text
    assert len(csv.strip().splitlines()) == 13  # a header and the 12 searched


@pytest.mark.parametrize("value", ["2", "yes", "-1"])
def test_a_bad_correct_argument_is_refused(sp_index, client_for, value):
    response = client_for(sp_index).get("/api/search", query_string={"q": "x", "correct": value})
    assert response.status_code == 400 and response.get_json()["code"] == "bad_correct"


def test_a_capitalised_name_that_finds_something_is_not_replaced(sp_many, engine_for):
    # A place or a person the index hardly knows ("Nam Nhun") is offered a
    # correction, never replaced by one.
    result = engine_for(sp_many).search("Cai Cach Hanh Chin")
    assert result.corrected is None and [h.id for h in result.hits] == ["scatter"]
    assert result.suggestion == "cải cách hành chính"


@pytest.mark.parametrize(
    "typed, searched, bold",
    [
        ("cai cach hanh chin", "cai cach hanh chính", True),
        ("taxi km", "tại km", False),  # into a function word
        ("Nam Nhun", "nam nhưng", False),  # a name
        ("nam nhun", "nam nhưng", False),  # "nhưng" is a function word too
    ],
)
def test_what_a_correction_may_replace(typed, searched, bold):
    from search.engine import _bold_enough
    from search.query import parse

    assert _bold_enough(parse(typed), searched) is bold
