"""Function words that are other words in context.

A query typed without accents is read by the accents the index restores to it: a
syllable that folds like a function word may be another word (*duoi*: dưới, đuối;
*cho*: cho, chợ), which pairs with its neighbour ("duoi nuoc" is *đuối nước*, not
*duoi* and *nuoc* anywhere); a question word of one syllable ("nao") asks; a function
word ("duoc": được) is no evidence of what a question asks about. And in a short
query, *một* counts what follows it, as other numbers do ("một cửa", the one-stop
office), unless what follows is another term's ("một cơn lốc").

A real index of hand-made articles, through the library, the CLI, the JSON API and the page.
"""

from __future__ import annotations

import json

import pytest

from search.analysis import fold
from search.article import Article
from search.cli import cli

ARTICLES = [
    # The term: đuối nước; and once the other reading, side by side (dưới nước).
    *(
        Article(
            id=f"drown-{i}",
            title=f"Tai nạn {i}",
            body=f"Hai học sinh bị đuối nước khi tắm sông chiều thứ {i}. Phòng chống đuối nước.",
        )
        for i in range(12)
    ),
    Article(id="under", title="Cá lồng", body="Cá sống dưới nước, người nuôi cho ăn mỗi ngày."),
    # Both folded syllables, apart: dưới ... nước.
    *(
        Article(
            id=f"apart-{i}",
            title=f"Công trình {i}",
            body=f"Dưới chân đê số {i}, người dân lấy nước tưới lúa và trồng rau.",
        )
        for i in range(30)
    ),
    # The night market; and cho ... đêm apart.
    *(
        Article(
            id=f"market-{i}",
            title=f"Chợ đêm {i}",
            body=f"Chợ đêm phố cổ {i} đông khách du lịch. Chợ đêm mở đến khuya.",
        )
        for i in range(5)
    ),
    *(
        Article(
            id=f"gift-{i}",
            title=f"Tặng quà {i}",
            body=f"Trao quà cho hộ nghèo thôn {i} trong đêm giao thừa.",
        )
        for i in range(30)
    ),
    # Which communes reached the standard: none of them says "nào".
    *(
        Article(
            id=f"standard-{i}",
            title=f"Xã Tân Lập {i} đạt chuẩn nông thôn mới",
            body=f"Xã Tân Lập {i} đạt chuẩn nông thôn mới sau năm năm phấn đấu.",
        )
        for i in range(5)
    ),
    Article(
        id="asks", title="Hỏi đáp", body="Người dân hỏi xã nào được công nhận, việc nào làm trước."
    ),
    # The one-stop office; and một ... cửa apart; a gust of wind (cơn lốc).
    *(
        Article(
            id=f"office-{i}",
            title=f"Cải cách {i}",
            body=f"Bộ phận một cửa của xã {i} tiếp nhận hồ sơ trực tuyến.",
        )
        for i in range(5)
    ),
    *(
        Article(
            id=f"door-{i}",
            title=f"Nhà văn hóa {i}",
            body=f"Một người dân thôn {i} mở cửa nhà văn hóa mỗi sáng.",
        )
        for i in range(40)
    ),
    *(
        Article(
            id=f"gust-{i}",
            title=f"Lốc xoáy {i}",
            body=f"Một cơn lốc làm tốc mái {i} ngôi nhà; cơn lốc kèm mưa lớn.",
        )
        for i in range(4)
    ),
    # "một con" folds like "một cơn", side by side far more often than "cơn lốc".
    *(
        Article(
            id=f"cattle-{i}", title=f"Sét đánh {i}", body=f"Một con trâu của hộ {i} bị sét đánh."
        )
        for i in range(15)
    ),
    # Aid for poor households that does not say "được".
    *(
        Article(
            id=f"aid-{i}",
            title=f"Hỗ trợ {i}",
            body=f"Mỗi hộ nghèo nhận hỗ trợ {i} triệu đồng từ ngân sách.",
        )
        for i in range(3)
    ),
]
DROWN = {f"drown-{i}" for i in range(12)}
MARKET = {f"market-{i}" for i in range(5)}
STANDARD = {f"standard-{i}" for i in range(5)}
AID = {f"aid-{i}" for i in range(3)}
OFFICE = {f"office-{i}" for i in range(5)}
GUST = {f"gust-{i}" for i in range(4)}


@pytest.fixture(scope="module")
def restored(articles_index, engine_for):
    return engine_for(articles_index(ARTICLES, "restored-readings"))


@pytest.mark.parametrize(
    ("q", "expected", "word"),
    [
        ("hoc sinh duoi nuoc", DROWN, ["duoi", "nuoc"]),
        ("phong chong duoi nuoc", DROWN, ["duoi", "nuoc"]),
        ("cho dem", MARKET, ["cho", "dem"]),
    ],
)
def test_a_syllable_restored_as_no_function_word_pairs(restored, q, expected, word):
    assert set(restored.match_ids(q)) == expected
    assert word in [[fold(s) for s in w] for w in restored.search(q).words]


def test_a_syllable_restored_as_a_function_word_stays_apart(restored):
    # Alone, these few articles and the general model restore "dưới nước": apart.
    r = restored.search("duoi nuoc")
    assert r.suggestion == "dưới nước"
    assert [[fold(s) for s in w] for w in r.words] == [["duoi"], ["nuoc"]]
    assert DROWN | {"under"} < set(restored.match_ids("duoi nuoc"))


@pytest.mark.parametrize(
    ("q", "expected", "words"),
    [
        ("một cửa", OFFICE, [["mot", "cua"]]),
        ("mot cua", OFFICE, [["mot", "cua"]]),
        ("bộ phận một cửa", OFFICE, [["bo", "phan"], ["mot", "cua"]]),
        ("một cơn lốc", GUST, [["mot"], ["con", "loc"]]),
    ],
)
def test_mot_counts_what_follows_it_in_a_short_query(restored, q, expected, words):
    assert set(restored.match_ids(q)) == expected
    assert [[fold(s) for s in w] for w in restored.search(q).words] == words


@pytest.mark.parametrize("q", ["đuối nước", "chợ đêm"])
def test_typed_with_accents_alike(restored, q):
    assert set(restored.match_ids(q)) in (DROWN, MARKET)


def test_a_syllable_typed_without_accents_in_an_accented_query_means_itself(restored):
    # "cho" in a query typed with accents is the function word: not paired.
    assert [len(w) for w in restored.search("cho đêm").words] == [1, 1]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("xa nao dat chuan nong thon moi", STANDARD),
        ("xã nào đạt chuẩn nông thôn mới", STANDARD),
        ("ho ngheo duoc ho tro bao nhieu", AID),
        ("hộ nghèo được hỗ trợ bao nhiêu", AID),
    ],
)
def test_unaccented_questions_read_as_restored(restored, q, expected):
    r = restored.search(q)
    assert expected <= set(restored.match_ids(q))
    assert not r.missing
    assert ["nao"] not in [[fold(s) for s in w] for w in r.words]


def test_restored_readings_through_the_cli_the_api_and_the_page(restored, runner, client_for):
    q = "hoc sinh duoi nuoc"
    result = runner.invoke(cli, ["search", q, "--index", str(restored.path), "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert d["total"] == 12 and d["words"] == [["hoc", "sinh"], ["duoi", "nuoc"]]
    client = client_for(restored.path)
    api = client.get("/api/search", query_string={"q": "cho dem"}).get_json()
    assert api["total"] == 5 and {h["id"] for h in api["hits"]} == MARKET
    page = client.get("/search", query_string={"q": q}).get_data(as_text=True)
    assert "drown-0" in page and "apart-0" not in page
