"""Search that means what was typed: accents, words as adjacent syllables, questions, fallback.

A small real index of hand-made articles, each built to be confused with another
by a folded, syllable-anywhere search; the same semantics through the library,
the CLI, the JSON API, the page and the Atom feed.
"""

from __future__ import annotations

import json
import re

import pytest

from search import engine as engine_mod
from search import names as names_mod
from search import plan as plan_mod
from search.article import Article
from search.cli import cli
from search.highlight import Terms, mark_all
from search.query import parse

HOA_GIAI = (
    "Tổ hòa giải ở cơ sở đã hòa giải thành công nhiều vụ việc. Công tác hòa giải "
    "giúp giữ gìn đoàn kết; hòa giải viên được tập huấn."
)
ARTICLES = [
    Article(
        id="storm",
        title="Cơn bão số 3 đổ bộ vào đất liền",
        body="Bão gây mưa lớn; người dân chằng chống nhà cửa trước bão.",
    ),
    Article(
        id="report",
        title="Báo cáo tình hình kinh tế xã hội",
        body="UBND huyện báo cáo kết quả; bao giờ hoàn thành thì báo lại.",
    ),
    Article(
        id="when",
        title="Bao giờ có nước sạch",
        body="Người dân hỏi bao giờ công trình hoàn thành, bao nhiêu hộ được dùng.",
    ),
    Article(id="mediation", title="Nâng cao chất lượng hòa giải ở cơ sở", body=HOA_GIAI),
    Article(
        id="mediation-2",
        title="Hội nghị tập huấn hòa giải viên",
        body="Các hòa giải viên trao đổi kinh nghiệm hòa giải tranh chấp đất đai.",
    ),
    Article(
        id="thanh-hoa",
        title="Thanh Hoá giải trình về dự án chậm tiến độ",
        body="Lãnh đạo tỉnh Thanh Hoá giải trình trước đoàn giám sát.",
    ),
    Article(
        id="culture",
        title="Phát triển văn hoá giải trí",
        body="Nhiều hoạt động văn hoá giải trí cho thanh niên.",
    ),
    Article(
        id="khanh-hoa",
        title="Khánh Hòa giải đáp thắc mắc của doanh nghiệp",
        body="Tỉnh Khánh Hòa giải đáp các kiến nghị về thủ tục đầu tư.",
    ),
    Article(
        id="scattered",
        title="Không khí hòa thuận trong thôn",
        body="Đội văn nghệ của thôn đoạt giải nhất hội diễn.",
    ),
    Article(
        id="da-nang",
        title="Đà Nẵng phát triển du lịch",
        body="Thành phố Đà Nẵng đón nhiều khách; Đà Nẵng đầu tư hạ tầng.",
    ),
    Article(
        id="momentum",
        title="Đà tăng trưởng của tỉnh",
        body="Kinh tế giữ đà tăng trưởng; gánh nặng nợ công giảm.",
    ),
    Article(
        id="lai-chau",
        title="UBND tỉnh Lai Châu họp phiên thường kỳ",
        body="UBND tỉnh Lai Châu đánh giá tình hình kinh tế xã hội.",
    ),
    Article(
        id="countryside",
        title="Xây dựng nông thôn mới ở huyện",
        body="Huyện đạt chuẩn nông thôn mới; nông thôn đổi thay.",
    ),
    Article(
        id="village-new",
        title="Thôn mới thành lập",
        body="Nông dân thôn mới thành lập ở xã vùng cao chăm lo sản xuất.",
    ),
]


@pytest.fixture(scope="module")
def sem_index(articles_index):
    """A real index of the articles above (with their vocabulary and pyvi words)."""
    return articles_index(ARTICLES, "semantics")


@pytest.fixture(scope="module")
def sem(sem_index, engine_for):
    """An engine with its suggester over that index."""
    return engine_for(sem_index)


def ids(result) -> list[str]:
    return [h.id for h in result.hits]


def match(engine, q, **kw) -> set[str]:
    return set(engine.match_ids(q, **kw))


# --- accents typed mean accents -------------------------------------------------


@pytest.mark.parametrize(
    "q, found, not_found",
    [
        ("bão", {"storm"}, {"report", "when"}),
        ("báo", {"report"}, {"storm", "when"}),
        ("bao", {"storm", "report", "when"}, set()),  # no marks typed: any marks
        ("BÃO", {"storm"}, {"report"}),
        ("hoà giải", {"mediation", "mediation-2", "khanh-hoa"}, {"thanh-hoa", "culture"}),
        ("hòa giải", {"mediation", "mediation-2", "khanh-hoa"}, {"thanh-hoa", "culture"}),
        ("Hoá giải", {"thanh-hoa", "culture"}, {"mediation", "khanh-hoa"}),
        ("hoa giai", {"mediation", "thanh-hoa", "culture", "khanh-hoa"}, {"scattered"}),
        ("Đà Nẵng", {"da-nang"}, {"momentum"}),
        ("Ðà Nẵng", {"da-nang"}, {"momentum"}),  # U+00D0 look-alike
        ("UBND tỉnh Lai Chau", {"lai-chau"}, set()),  # no marks on one syllable: any marks
    ],
)
def test_accents(sem, q, found, not_found):
    got = match(sem, q)
    assert found <= got and not (not_found & got), got


def test_no_marks_ranks_by_the_restored_accents(sem):
    result = sem.search("hoa giai")
    assert result.suggestion == "hòa giải"
    assert ids(result)[:2] == ["mediation", "mediation-2"]


# --- words, not syllables -------------------------------------------------------


@pytest.mark.parametrize(
    "q, words",
    [
        ("hòa giải", [["hòa", "giải"]]),
        # A word and the syllable typed after it, side by side in the index: one term.
        ("nông thôn mới", [["nông", "thôn", "mới"]]),
        ("nông thôn huyện", [["nông", "thôn"], ["huyện"]]),
        ("Đà Nẵng", [["đà", "nẵng"]]),
        ('"thôn mới"', [["thôn", "mới"]]),  # quotes make a word of anything
    ],
)
def test_words_come_from_the_index(sem, q, words):
    # expand=False: "nông thôn mới" is also the expansion of NTM, one name as a whole.
    assert sem.search(q, expand=False).words == words


def test_word_syllables_must_be_adjacent(sem):
    # "hòa" and "giải" both occur in "scattered", far apart: not the word.
    assert "scattered" not in match(sem, "hòa giải")
    assert "scattered" in match(sem, "hòa") and "scattered" in match(sem, "giải")
    # Separate words of the query may be anywhere.
    assert {"countryside"} == match(sem, "nông thôn huyện", expand=False) & {
        "countryside",
        "village-new",
    }


def test_a_word_across_a_pyvi_boundary_ranks_below_the_word(sem):
    # "Khánh Hòa | giải đáp" has the syllables next to each other, not the word.
    order = ids(sem.search("hòa giải", per_page=10))
    assert order.index("mediation") < order.index("khanh-hoa")
    assert order.index("mediation-2") < order.index("khanh-hoa")


def test_counts_facets_and_date_sort_share_one_recall(sem):
    result = sem.search("bão", per_page=10)
    by_date = sem.search("bão", sort="date", per_page=10)
    assert result.total == by_date.total == len(match(sem, "bão")) == 1
    assert set(ids(by_date)) == {"storm"}


# --- punctuation ends a clause: no word or phrase goes on over it --------------------

CLAUSES = [
    Article(id="culture-comma", title="Tin tổng hợp", body="Hoạt động văn hoá; giải trí sôi nổi."),
    Article(
        id="anti-graft", title="Hội nghị", body="Công tác phòng, chống tham nhũng được tăng cường."
    ),
    Article(id="two-places", title="Tin vắn", body="Khánh Hòa, Bình Định nhận hỗ trợ."),
    Article(id="sentence", title="Tin ngắn", body="Uy tín của tổ chức Đảng.\nUỷ ban kiểm tra họp."),
    Article(id="bracket", title="Tin nhanh", body="Việc này cần (Bộ Công an) hướng dẫn."),
    Article(id="peace", title="Hòa Bình đón khách", body="Tỉnh Hòa Bình phát triển du lịch."),
    Article(id="party", title="Đảng ủy xã họp", body="Đảng ủy xã họp bàn."),
    Article(id="city", title="Khách đến TP. Hồ Chí Minh", body="TP. Hồ Chí Minh đón khách."),
]


@pytest.fixture(scope="module")
def clauses(articles_index, engine_for):
    return engine_for(articles_index(CLAUSES, "clauses"))


@pytest.mark.parametrize(
    "q, expected",
    [
        # Phrases, as words the index knows are matched (quoted here: this
        # small index's statistics make few words).
        ('"hoa giai"', set()),  # not "văn hoá; giải trí"
        # A comma between lower-case words is inside a term, as officials write it.
        ('"phòng chống tham nhũng"', {"anti-graft"}),
        ('"hòa bình"', {"peace"}),  # not "Khánh Hòa, Bình Định"
        ('"Đảng ủy"', {"party"}),  # not "Đảng.\nUỷ ban"
        ('"can bo"', set()),  # not "cần (Bộ Công an)"
        ('"văn hoá; giải trí"', {"culture-comma"}),  # the same punctuation typed
        ("Hòa, Bình", {"peace", "two-places"}),
        # An abbreviation's full stop ends no clause.
        ('"TP. Hồ Chí Minh"', {"city"}),
        ('"tp hồ chí minh"', {"city"}),
    ],
)
def test_no_word_spans_punctuation_that_ends_a_clause(clauses, q, expected):
    assert match(clauses, q) == expected


def test_snippets_mark_no_word_over_a_clause_end(clauses):
    result = clauses.search('"hòa bình"')
    assert [h.id for h in result.hits] == ["peace"]
    marked = mark_all("Khánh Hòa, Bình Định và Hòa Bình", Terms(((("hòa", True), ("bình", True)),)))
    assert marked.count("<mark") == 1 and "Hòa Bình</mark>" in marked
    # A longer word stopped by the clause's end leaves the shorter one at the same place.
    words = Terms(
        (
            (("kinh", False), ("te", False), ("xa", False), ("hoi", False)),
            (("kinh", False), ("te", False)),
        )
    )
    marked = mark_all("Phát triển kinh tế; Xã hội", words)
    assert '<mark class="match t0">kinh tế</mark>;' in marked


# --- questions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "q",
    [
        "Tổ hòa giải ở cơ sở làm gì?",
        "hòa giải viên là gì",
        "Bao nhiêu hòa giải viên được tập huấn?",
    ],
)
def test_questions_are_relaxed(sem, q):
    result = sem.search(q)
    assert result.total >= 1
    assert ids(result)[0] in {"mediation", "mediation-2"}


@pytest.mark.parametrize(
    "q, relaxed",
    [
        # "sao" and "chưa" are questions at the end, or with a "?" ...
        ("đã nộp thuế chưa", True),
        ("sao giá vàng tăng?", True),
        ("vì sao giá vàng tăng", True),
        # ... and other words elsewhere: a star, "not yet".
        ("Sao Vàng", False),
        ("nợ đọng chưa thanh toán", False),
        # "mấy" and "đâu" ask wherever they stand.
        ("Hà Nội có mấy quận", True),
        ("hòa giải ở đâu", True),
    ],
)
def test_question_cues_that_are_also_other_words(q, relaxed):
    plan = plan_mod.build(parse(q))
    assert plan.relaxed == relaxed
    assert all(not w.question for w in plan.words) != relaxed


def test_question_words_are_not_required(sem):
    # "gì" occurs in no article; the question still finds its answer.
    assert "mediation" in match(sem, "nâng cao chất lượng hòa giải là gì")


# --- the fallback and the switch ----------------------------------------------------


def test_fallback_to_any_accents_when_exact_finds_nothing(sem):
    result = sem.search("bảo")  # no article has "bảo"
    assert result.fallback and result.exact_total == 0 and result.accents == "any"
    assert {"storm", "report", "when"} <= set(ids(result))


def test_no_fallback_when_exact_finds_enough(sem):
    result = sem.search("hòa giải")
    assert not result.fallback and result.accents == "exact" and result.exact_total is None


@pytest.mark.parametrize(
    "accents, expected",
    [
        ("exact", set()),
        ("any", {"storm", "report", "when"}),
        ("auto", {"storm", "report", "when"}),
    ],
)
def test_accents_switch(sem, accents, expected):
    assert match(sem, "bảo", accents=accents) == expected


def test_any_accents_still_ranks_typed_accents_first(sem):
    assert ids(sem.search("bão", accents="any"))[0] == "storm"


# --- highlighting what matched ------------------------------------------------------


def _marked(html: str) -> list[str]:
    return re.findall(r"<mark[^>]*>([^<]+)</mark>", html)


@pytest.mark.parametrize(
    "q, article, marked, unmarked",
    [
        ("hòa giải", "mediation", {"hòa giải"}, set()),
        ("hòa giải", "khanh-hoa", {"Hòa giải"}, set()),
        ("bão", "storm", {"Bão", "bão"}, set()),
        ("Đà Nẵng", "da-nang", {"Đà Nẵng"}, {"Đà", "Nẵng"}),
        ("nông thôn mới", "countryside", {"nông thôn mới"}, {"thôn", "mới"}),
        ("nông thôn huyện", "countryside", {"nông thôn", "Huyện"}, {"thôn"}),
    ],
)
def test_snippets_mark_words_as_matched(sem, q, article, marked, unmarked):
    hit = next(h for h in sem.search(q, per_page=20, expand=False).hits if h.id == article)
    found = set(_marked(hit.snippet))
    assert marked <= found and not (unmarked & found), hit.snippet


def test_folded_snippets_mark_every_accent_of_the_word(sem):
    hit = next(h for h in sem.search("hoa giai", per_page=20).hits if h.id == "thanh-hoa")
    assert "Hoá giải" in _marked(hit.snippet)


# --- the same through the CLI, the API, the page and the feed ---------------------------


def test_cli_accents_and_fallback_line(sem_index, runner):
    r = runner.invoke(cli, ["search", "bảo", "--index", str(sem_index)])
    assert r.exit_code == 0, r.output
    assert "Không có kết quả đúng dấu cho «bảo»" in r.output
    r = runner.invoke(
        cli, ["search", "bảo", "--index", str(sem_index), "--accents", "exact", "--json"]
    )
    assert json.loads(r.output)["total"] == 0
    r = runner.invoke(cli, ["search", "bão", "--index", str(sem_index), "--json"])
    data = json.loads(r.output)
    assert data["total"] == 1 and data["accents"] == "exact" and data["words"] == [["bão"]]


@pytest.fixture(scope="module")
def sem_client(sem_index, client_for):
    return client_for(sem_index)


def test_api_reports_the_reading(sem_client):
    data = sem_client.get("/api/search", query_string={"q": "bảo"}).get_json()
    assert data["fallback"] is True and data["exact_total"] == 0 and data["accents"] == "any"
    data = sem_client.get("/api/search", query_string={"q": "bảo", "accents": "exact"}).get_json()
    assert data["total"] == 0 and data["fallback"] is False
    r = sem_client.get("/api/search", query_string={"q": "bão", "accents": "sometimes"})
    assert r.status_code == 400


def test_page_says_it_fell_back_and_links_back(sem_client):
    r = sem_client.get("/search", query_string={"q": "bảo"})
    assert (
        "Không có kết quả đúng dấu cho «bảo»; đang hiển thị kết quả không phân biệt dấu" in r.text
    )
    assert 'href="/search?q=b%E1%BA%A3o&amp;accents=exact"' in r.text
    exact = sem_client.get("/search", query_string={"q": "bảo", "accents": "exact"})
    assert "0 kết quả" in exact.text and "Không có kết quả đúng dấu" not in exact.text


def test_page_shows_the_words_and_the_switch(sem_client):
    r = sem_client.get("/search", query_string={"q": "nông thôn huyện", "expand": "0"})
    assert "Tìm các từ: <q>nông thôn</q> · <q>huyện</q>" in r.text
    assert 'aria-current="true" class="current">Đúng dấu đã gõ</a>' in r.text
    assert "accents=any" in r.text


def test_feed_has_the_same_recall(sem_client):
    r = sem_client.get("/search.atom", query_string={"q": "bão"})
    assert r.text.count("<entry>") == 1 and "Cơn bão số 3" in r.text


# --- two lone syllables typed side by side are one term -------------------------------

PAIRS = [
    Article(
        id="commune-level",
        title="Bồi dưỡng công chức",
        body="Công chức cấp xã được bồi dưỡng. Cán bộ cấp xã học tập.",
        province="Bắc Kạn",
    ),
    Article(
        id="apart",
        title="Tuyển chọn lãnh đạo",
        body="Tuyển chọn lãnh đạo cấp phòng; UBND xã Thanh Minh họp.",
        province="Điện Biên",
    ),
    Article(
        id="poor",
        title="Giảm nghèo bền vững",
        body="Số hộ nghèo giảm mạnh. Nhiều hộ nghèo được vay vốn.",
        province="Bắc Kạn",
    ),
    Article(
        id="poor-apart",
        title="Hộ kinh doanh gặp khó",
        body="Hộ kinh doanh gặp khó; người nghèo ở thôn được hỗ trợ.",
        province="Điện Biên",
    ),
    Article(id="rice", title="Giống lúa mới", body="Giống lúa mới cho năng suất cao; gạo thơm."),
    # "nhà cháy" side by side in one article, apart in 25: a free combination.
    Article(id="fire-pair", title="Tin nhanh", body="Nhà cháy lúc sáng. Một nhà cháy nữa."),
    *(
        Article(id=f"fire-{i}", title=f"Vụ cháy số {i}", body=f"Cháy lớn thiêu rụi căn nhà số {i}.")
        for i in range(25)
    ),
    # "đã mua" (folded "da mua") side by side; "đá" and "mưa" never in that order.
    Article(id="bought", title="Người dân đã mua", body="Họ đã mua gạo; đã mua thêm muối."),
    Article(id="hail", title="Mưa đá ở vùng cao", body="Trận mưa đá làm hỏng hoa màu."),
]


@pytest.fixture(scope="module")
def pairs(articles_index, engine_for):
    return engine_for(articles_index(PAIRS, "pairs"))


@pytest.mark.parametrize(
    "q, expected",
    [
        ("cấp xã", {"commune-level"}),  # not "cấp phòng; UBND xã"
        ("cap xa", {"commune-level"}),
        ("hộ nghèo", {"poor"}),  # not "Hộ kinh doanh … người nghèo"
        ("ho ngheo", {"poor"}),
        ("cấp", {"commune-level", "apart"}),
        # Never side by side in the index: the syllables are read apart.
        ("lúa gạo", {"rice"}),
        # Quoted, a phrase as ever; the words apart when asked for apart.
        ('"cấp xã"', {"commune-level"}),
        # Side by side in 1 of the 26 articles with both: a free combination, apart.
        ("nhà cháy", {"fire-pair", *(f"fire-{i}" for i in range(25))}),
        ('"nhà cháy"', {"fire-pair"}),
        # Typed with accents, never side by side: apart with those accents (not
        # the folded "đã mua", which the folded pair count is about).
        ("đá mưa", {"hail"}),
    ],
)
def test_two_lone_syllables_typed_together_stand_together(pairs, q, expected):
    assert match(pairs, q) == expected


def test_a_pair_found_nowhere_after_the_filters_is_read_apart(pairs):
    # In Điện Biên no article has "cấp xã": its syllables apart are found, and the
    # words shown say so.
    result = pairs.search("cấp xã", province=["Điện Biên"])
    assert ids(result) == ["apart"] and result.words == [["cấp"], ["xã"]]
    assert not result.fallback
    together = pairs.search("cấp xã", province=["Bắc Kạn"])
    assert ids(together) == ["commune-level"] and together.words == [["cấp", "xã"]]


@pytest.mark.parametrize(
    "q, words",
    [
        ("cấp xã", [["cấp", "xã"]]),
        ("hộ nghèo ở thôn", [["hộ", "nghèo"], ["ở"], ["thôn"]]),  # "ở" joins nothing
        ("nghèo của thôn", [["nghèo"], ["của"], ["thôn"]]),
        ("xa ba ca", [["xa", "ba"], ["ca"]]),  # two at a time, from the left
        ("UBND tỉnh", [["ubnd"], ["tỉnh"]]),  # an abbreviation keeps its expansion
        ("CẤP XÃ", [["cấp", "xã"]]),  # capitals are no abbreviation
        ("xã Tà Tổng", [["xã"], ["tà", "tổng"]]),  # a word beside a name: apart
        # A small letter before a name of one syllable: one term (a region).
        ("miền Trung", [["miền", "trung"]]),
        ("miền Trung, Tây Nguyên", [["miền", "trung"], ["tây", "nguyên"]]),
        ("miền Trung và Tây Nguyên", [["miền", "trung"], ["và"], ["tây", "nguyên"]]),
        # Before a small letter the stronger tie takes the capital: tests/test_capitals.py.
        ("b c", [["b"], ["c"]]),  # no Vietnamese syllables
        ("cấp; xã", [["cấp"], ["xã"]]),  # never over a clause end
        ("cấp 3", [["cấp"], ["3"]]),  # a number is no syllable of a term
        ("xã hội bao nhiêu", [["xã", "hội"], ["bao"], ["nhiêu"]]),  # question words apart
    ],
)
def test_lone_syllables_pair_up(q, words):
    plan = plan_mod.build(parse(q), None, "exact", None, lambda a, b: True)
    assert [[s.text for s in w.syllables] for w in plan.words] == words


# Pairs that meet in few articles: each judged on its own over the whole index.
MET = [
    # "nhà cháy" side by side in 1 of the 28 articles holding both: a free combination.
    Article(id="poor-fire", title="Nhà cháy", body="Nhà cháy trụi; hộ nghèo mất trắng."),
    *(
        Article(
            id=f"poor-home-{i}",
            title=f"Hỗ trợ số {i}",
            body=f"Cháy lớn thiêu rụi căn nhà số {i} của hộ nghèo; cấp tỉnh, xã cùng giúp.",
            province="Điện Biên" if i == 0 else None,
        )
        for i in range(25)
    ),
    # Every syllable, no term: found only when everything is read apart.
    *(
        Article(
            id=f"business-{i}",
            title=f"Kinh doanh {i}",
            body=f"Cháy căn nhà của hộ kinh doanh {i}; người nghèo và cấp ủy xã giúp đỡ.",
        )
        for i in range(2)
    ),
    # "hộ nghèo" and "cấp xã": terms both, together in one article.
    Article(
        id="poor-commune",
        title="Giảm nghèo",
        body="Hộ nghèo được cán bộ cấp xã thăm hỏi.",
        province="Quảng Nam",
    ),
    *(
        Article(id=f"commune-{i}", title=f"Bồi dưỡng {i}", body=f"Công chức cấp xã khóa {i}.")
        for i in range(3)
    ),
    # "nhà", "cháy" apart and the term "cấp xã": no article holds "nhà cháy" with it.
    Article(id="fire-commune", title="Hỏa hoạn", body="Cháy căn nhà gỗ; cán bộ cấp xã có mặt."),
    # A region: "miền Trung" side by side; "miền núi" and a man named Trung apart.
    *(
        Article(
            id=f"central-{i}",
            title=f"Bão số {i}",
            body=f"Bão gây mưa lớn ở miền Trung; {i} nhà tốc mái.",
        )
        for i in range(3)
    ),
    Article(
        id="highland",
        title="Bão ở miền núi",
        body="Bão làm sạt lở ở miền núi; ông Lê Văn Trung chỉ đạo khắc phục.",
    ),
]


@pytest.fixture(scope="module")
def met(articles_index, engine_for):
    return engine_for(articles_index(MET, "met"))


POOR_HOMES = {f"poor-home-{i}" for i in range(25)}


@pytest.mark.parametrize(
    "q, expected, words",
    [
        # A term and a free combination: the term stays, the combination goes apart.
        (
            "nhà cháy hộ nghèo",
            {"poor-fire", *POOR_HOMES},
            [["nhà"], ["cháy"], ["hộ", "nghèo"]],
        ),
        # Two terms, rare together: both stay.
        ("hộ nghèo cấp xã", {"poor-commune"}, [["hộ", "nghèo"], ["cấp", "xã"]]),
        ("ho ngheo cap xa", {"poor-commune"}, [["ho", "ngheo"], ["cap", "xa"]]),
        # One pair, a free combination, as before: apart.
        ("nhà cháy", {"poor-fire", *POOR_HOMES, "business-0", "business-1", "fire-commune"}, None),
        # Found nowhere together: the free combination apart, the term kept (not every
        # syllable anywhere: the 25 homes and 2 businesses hold "cấp tỉnh, xã", "cấp ủy xã").
        ("nhà cháy cấp xã", {"fire-commune"}, [["nhà"], ["cháy"], ["cấp", "xã"]]),
        # A region typed with its capital.
        ("bão miền Trung", {"central-0", "central-1", "central-2"}, [["bão"], ["miền", "trung"]]),
        ("bao mien trung", {"central-0", "central-1", "central-2"}, [["bao"], ["mien", "trung"]]),
    ],
)
def test_pairs_that_meet_are_judged_each_on_its_own(met, q, expected, words):
    result = met.search(q, per_page=50)
    assert set(ids(result)) == expected
    assert words is None or result.words == words


def test_terms_found_nowhere_together_after_the_filters_are_read_apart(met):
    # In Điện Biên no article holds "hộ nghèo" and "cấp xã": every syllable apart, as
    # for one pair, rather than leaving a term out.
    result = met.search("hộ nghèo cấp xã", province=["Điện Biên"])
    assert ids(result) == ["poor-home-0"] and not result.missing
    assert result.words == [["hộ"], ["nghèo"], ["cấp"], ["xã"]]
    together = met.search("hộ nghèo cấp xã", province=["Quảng Nam"])
    assert ids(together) == ["poor-commune"]
    assert together.words == [["hộ", "nghèo"], ["cấp", "xã"]]


def test_pairs_that_meet_through_the_cli_the_api_and_the_page(met, runner, client_for):
    result = runner.invoke(
        cli, ["search", "nhà cháy hộ nghèo", "--index", str(met.path), "--json", "--limit", "50"]
    )
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert d["total"] == 26 and d["words"] == [["nhà"], ["cháy"], ["hộ", "nghèo"]]
    client = client_for(met.path)
    api = client.get("/api/search", query_string={"q": "bão miền Trung"}).get_json()
    assert api["total"] == 3 and api["words"] == [["bão"], ["miền", "trung"]]
    page = client.get("/search", query_string={"q": "hộ nghèo cấp xã"}).get_data(as_text=True)
    assert "poor-commune" in page and "commune-0" not in page


# Readings the index tells apart: a word typed with accents, and a syllable bound to the
# word after it.
READINGS = [
    # "Bộ Tài chính": "bộ" right before "tài chính" in 3 of its 7 occurrences.
    *(
        Article(
            id=f"ministry-{i}", title=f"Thu phí {i}", body=f"Bộ Tài chính hướng dẫn thu phí {i}."
        )
        for i in range(3)
    ),
    *(
        Article(
            id=f"one-stop-{i}",
            title=f"Một cửa {i}",
            body=f"Ban chỉ đạo rà soát tài chính của bộ phận một cửa {i}.",
        )
        for i in range(4)
    ),
    # pyvi's word "chính quy" (3), beside "chỉnh quy" (4), which folds alike; and
    # "chính", "quy" apart in 60 articles.
    *(
        Article(
            id=f"regular-{i}",
            title=f"Công an {i}",
            body=f"Lực lượng công an chính quy về xã {i}."
            + (" Xã ban hành kế hoạch." if not i else ""),
        )
        for i in range(3)
    ),
    *(
        Article(
            id=f"zoning-{i}", title=f"Quy hoạch {i}", body=f"Điều chỉnh quy hoạch khu dân cư {i}."
        )
        for i in range(4)
    ),
    *(
        Article(
            id=f"government-{i}",
            title=f"Xã {i}",
            body=f"Chính quyền xã {i} ban hành quy định mới.",
        )
        for i in range(60)
    ),
    # "máy ảnh", a word of pyvi's dictionary, side by side in 2 of the 46 articles
    # holding both syllables ("nhà máy ảnh hưởng" is one), under the share of a term.
    Article(id="camera", title="Phóng viên", body="Phóng viên mang máy ảnh đến xã."),
    # "hội chợ", a word of the dictionary, beside "hội cho" and "hỏi cho", which are none.
    Article(id="fair", title="Xuân", body="Hội chợ xuân khai mạc."),
    Article(id="chance", title="Lập nghiệp", body="Cơ hội cho thanh niên lập nghiệp."),
    Article(id="ask", title="Lẽ phải", body="Hỏi cho ra lẽ."),
    Article(id="factory-0", title="Nguồn nước", body="Nhà máy ảnh hưởng đến nguồn nước."),
    *(
        Article(id=f"factory-{i}", title=f"Báo cáo {i}", body=f"Nhà máy {i} gửi hình ảnh báo cáo.")
        for i in range(1, 45)
    ),
]


@pytest.fixture(scope="module")
def readings(articles_index, engine_for):
    return engine_for(articles_index(READINGS, "readings"))


MINISTRY = {f"ministry-{i}" for i in range(3)}
REGULAR = {f"regular-{i}" for i in range(3)}


@pytest.mark.parametrize(
    "q, expected, words",
    [
        # A syllable before a fifth or more of a word's occurrences: one term with it.
        ("Bộ Tài chính", MINISTRY, [["bộ", "tài", "chính"]]),
        ("bộ tài chính", MINISTRY, [["bộ", "tài", "chính"]]),
        ("bo tai chinh", MINISTRY, [["bo", "tai", "chinh"]]),
        # Typed with accents, pyvi's word in nearly all of its own occurrences: one word,
        # though a reading that folds alike ("chỉnh quy") is more frequent and no word.
        ("chính quy", REGULAR, [["chính", "quy"]]),
        ("công an chính quy", REGULAR, [["công", "an"], ["chính", "quy"]]),
        # A word of the dictionary, however common its syllables.
        ("máy ảnh", {"camera", "factory-0"}, [["máy", "ảnh"]]),
        # Without accents the pair is both readings, side by side.
        ("chinh quy", REGULAR | {f"zoning-{i}" for i in range(4)}, None),
    ],
)
def test_words_are_read_as_the_index_holds_them(readings, q, expected, words):
    result = readings.search(q, per_page=50)
    assert set(ids(result)) == expected
    assert words is None or result.words == words


@pytest.mark.parametrize(
    "exact, count",
    [
        ((None, None), 7),  # every reading
        (("chính", None), 3),  # the one reading in pyvi's dictionary
        # Not a word of the dictionary, unlike "chính quy": pyvi's joins are not its own.
        (("chỉnh", None), 7),
        (("chính", "quỹ"), 7),
    ],
)
def test_a_pair_is_counted_in_the_reading_typed_when_the_joins_are_its(readings, exact, count):
    assert engine_mod._occurrences(readings.suggester, "chinh", "quy", exact) == count


@pytest.mark.parametrize(
    "exact, count",
    [
        (("hội", "chợ"), 1),  # the dictionary's word: its own count
        # A plain syllable is itself: "hội cho" is no "hội chợ", whose joins are not its.
        (("hội", None), 3),
        ((None, None), 3),
    ],
)
def test_a_plain_syllable_typed_is_no_other_reading_of_the_dictionary(readings, exact, count):
    assert engine_mod._occurrences(readings.suggester, "hoi", "cho", exact) == count


@pytest.mark.parametrize(
    "syllables, lexical",
    [
        # Typed with accents: as typed, a plain syllable too.
        ((("máy", True), ("ảnh", True)), True),
        ((("chính", True), ("quy", False)), True),
        ((("chỉnh", True), ("quy", False)), False),
        # Without: when most of the readings side by side in the index are words.
        ((("may", False), ("anh", False)), True),  # máy ảnh 2
        ((("chinh", False), ("quy", False)), False),  # chính quy 3, chỉnh quy 4
        # A name, or a word of three: never.
        ((("máy", True), ("ảnh", True), ("mới", True)), False),
    ],
)
def test_a_pair_is_a_word_of_the_dictionary(readings, syllables, lexical):
    word = plan_mod.Word(
        tuple(plan_mod.Syllable(text, accented, accented) for text, accented in syllables),
        paired=True,
    )
    assert readings._is_lexical(word) is lexical


def test_readings_through_the_cli_the_api_and_the_page(readings, runner, client_for):
    result = runner.invoke(cli, ["search", "Bộ Tài chính", "--index", str(readings.path), "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert {h["id"] for h in d["hits"]} == MINISTRY and d["words"] == [["bộ", "tài", "chính"]]
    client = client_for(readings.path)
    api = client.get("/api/search", query_string={"q": "chính quy"}).get_json()
    assert api["total"] == 3 and api["words"] == [["chính", "quy"]]
    page = client.get("/search", query_string={"q": "bộ tài chính"}).get_data(as_text=True)
    assert "ministry-0" in page and "one-stop-0" not in page


def test_the_word_test_is_given_the_readings_typed():
    asked = []

    def is_word(before, a, b, after, exact=(None, None)):
        asked.append(exact)
        return False

    for q in ("chính quy", "chinh quy", "thuỷ lợi", "Đà Nẵng"):
        plan_mod.build(parse(q), is_word, "exact", None)
    plan_mod.build(parse("chính quy"), is_word, "any", None)
    assert asked == [("chính", None), (None, None), ("thủy", "lợi"), ("đà", "nẵng"), (None, None)]


def test_a_dictionary_word_leaves_the_other_pairs_to_be_judged_on_their_own(met):
    def paired(*syllables):
        return plan_mod.Word(
            tuple(plan_mod.Syllable(x, True, True) for x in syllables), paired=True
        )

    s = met.searcher()
    # "thông đồng" is a word of pyvi's dictionary: it stays. "cấp xã" is a term of the
    # index (side by side in 4 of the 31 articles holding both): it stays too.
    plan = plan_mod.Plan([[paired("thông", "đồng")], [paired("cấp", "xã")]])
    assert met._free_words(s, plan) is None
    # "nhà cháy" is a free combination (1 of 28): it alone goes apart.
    plan = plan_mod.Plan([[paired("thông", "đồng")], [paired("nhà", "cháy")]])
    assert met._free_words(s, plan) == {("nha", "chay")}


def test_an_abbreviation_with_an_expansion_pairs_with_nothing():
    def aliases(key, typed):
        known = {("ubnd",): ("uy", "ban", "nhan", "dan"), ("da",): ("du", "an")}
        return [(known[key], "")] if key in known and (typed or key == ("ubnd",)) else []

    def clauses(q):
        plan = plan_mod.build(parse(q), None, "exact", aliases, lambda a, b: True)
        return [[w.text for w in c] for c in plan.clauses]

    assert clauses("ubnd tỉnh cấp xã") == [["ubnd", "uy ban nhan dan"], ["tỉnh cấp"], ["xã"]]
    # A learned short form that is a syllable ("DA": dự án) only when typed as one.
    assert clauses("DA tỉnh") == [["da", "du an"], ["tỉnh"]]


def test_pairs_through_the_cli_and_the_api(pairs, runner, client_for):
    result = runner.invoke(cli, ["search", "cap xa", "--index", str(pairs.path), "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert [h["id"] for h in d["hits"]] == ["commune-level"] and d["words"] == [["cap", "xa"]]
    api = client_for(pairs.path).get("/api/search?q=h%E1%BB%99+ngh%C3%A8o").get_json()
    assert [h["id"] for h in api["hits"]] == ["poor"]


# --- a function word between two syllables: one term, where the index says so ----------

BRIDGES = [
    *(
        Article(
            id=f"honoured-{i}",
            title=f"Thăm hỏi gia đình chính sách {i}",
            body=f"Huyện thăm hỏi người có công với cách mạng ở xã số {i}.",
            province="Nghệ An",
        )
        for i in range(12)
    ),
    # Every syllable of "người có công", none of them side by side as one.
    Article(
        id="scattered",
        title="Việc làm cho người dân",
        body="Người dân có việc làm ổn định; công trình nhà văn hóa hoàn thành.",
        province="Nghệ An",
    ),
    Article(
        id="project",
        title="Xã có công trình mới",
        body="Xã có công trình nước sạch cho người dân.",
        province="Hà Tĩnh",
    ),
    # "hộ có công" in 10 articles, but "hộ có" and "có công" stand side by side
    # 300 times more each: 10 is under 5% of them, a free combination.
    *(
        Article(id=f"household-{i}", title=f"Hộ có công việc ổn định {i}", body="Thu nhập khá.")
        for i in range(10)
    ),
    Article(
        id="filler",
        title="Tin vắn",
        body=" ".join(["Hộ có con nhỏ."] * 300 + ["Ai có công thì được khen."] * 300),
    ),
    # "lũ về nhanh" side by side in 2 articles only: a way of saying, not a term.
    *(
        Article(id=f"flood-fast-{i}", title="Tin lũ", body="Lũ về nhanh trong đêm.")
        for i in range(2)
    ),
    Article(id="flood-late", title="Tin lũ muộn", body="Nước lũ rút chậm; về sau mưa nhanh tạnh."),
    # "cá bị chìm" would be a term, but "tàu cá" is one: "tàu cá bị chìm" keeps it.
    *(
        Article(id=f"boat-{i}", title=f"Tàu cá bị chìm số {i}", body="Ngư dân được cứu.")
        for i in range(10)
    ),
    # A conjunction joins things of one kind: both wanted, in any order.
    Article(id="storm-flood", title="Bão và lũ gây thiệt hại", body="Bão và lũ cuốn trôi cầu."),
    Article(id="flood-storm", title="Lũ về sau bão", body="Lũ lớn về ngay sau bão và mưa."),
]


@pytest.fixture(scope="module")
def bridges(articles_index, engine_for):
    return engine_for(articles_index(BRIDGES, "bridges"))


HONOURED = {f"honoured-{i}" for i in range(12)}
HOUSEHOLDS = {f"household-{i}" for i in range(10)}
BOATS = {f"boat-{i}" for i in range(10)}


@pytest.mark.parametrize(
    "q, expected, words",
    [
        # The term, not its three syllables anywhere, nor "có công trình".
        ("người có công", HONOURED, [["người", "có", "công"]]),
        ("nguoi co cong", HONOURED, [["nguoi", "co", "cong"]]),
        # A capital on the first word is a sentence's.
        ("Người có công", HONOURED, [["người", "có", "công"]]),
        ("thăm người có công", HONOURED, [["thăm"], ["người", "có", "công"]]),
        # Under 5% of the side-by-side "hộ có" and "có công": read apart.
        ("hộ có công", HOUSEHOLDS | {"filler"}, [["hộ"], ["có"], ["công"]]),
        # Side by side in 2 articles: too few to be a term.
        ("lũ về nhanh", {"flood-fast-0", "flood-fast-1", "flood-late"}, None),
        ("cá bị chìm", BOATS, [["cá", "bị", "chìm"]]),
        ("tàu cá bị chìm", BOATS, [["tàu", "cá"], ["bị"], ["chìm"]]),
        ("bão và lũ", {"storm-flood", "flood-storm"}, [["bão"], ["và"], ["lũ"]]),
        ('"người có công"', HONOURED, None),
        # OR and "-" bind the term, not its first or last syllable.
        (
            "người có công OR bão",
            HONOURED | {"storm-flood", "flood-storm"},
            [["người", "có", "công"], ["bão"]],
        ),
        ("người -người có công", {"scattered", "project"}, [["người"]]),
        (
            "Người có công OR bão",
            HONOURED | {"storm-flood", "flood-storm"},
            [["người", "có", "công"], ["bão"]],
        ),
        ("bão OR người có công", HONOURED | {"storm-flood", "flood-storm"}, None),
        # Under OR too, a bridge yields to the term its neighbour makes ("tàu cá").
        ("tàu cá bị chìm OR bão", BOATS, [["tàu", "cá"], ["bị"], ["chìm"], ["bão"]]),
    ],
)
def test_a_function_word_between_two_syllables_bridges_a_term(bridges, q, expected, words):
    assert match(bridges, q) == expected
    if words is not None:
        assert bridges.search(q).words == words


def test_a_bridge_is_judged_over_the_whole_index(bridges):
    # Under a filter with no article holding the term, the term is still what is
    # searched: the province's count is the one the unfiltered facet shows.
    facet = bridges.search("người có công").facets["province"]
    assert {f.value: f.count for f in facet} == {"Nghệ An": 12}
    assert bridges.search("người có công", province=["Hà Tĩnh"]).total == 0
    assert bridges.search("người có công", province=["Nghệ An"]).total == 12


@pytest.mark.parametrize(
    "q, bridge, words, asked",
    [
        ("người có công", True, [["người", "có", "công"]], [("người có công", None, None)]),
        ("Người có công", True, [["người", "có", "công"]], [("người có công", None, None)]),
        # A bridge is judged before pairs, told the syllables beside it.
        (
            "thăm người có công",
            True,
            [["thăm"], ["người", "có", "công"]],
            [("người có công", "tham", None)],
        ),
        (
            "tàu cá bị chìm nhanh",
            True,
            [["tàu"], ["cá", "bị", "chìm"], ["nhanh"]],
            [("cá bị chìm", "tau", "nhanh")],
        ),
        # A function word beside is no neighbour a term could hold.
        (
            "người có công với",
            True,
            [["người", "có", "công"], ["với"]],
            [("người có công", None, None)],
        ),
        ("người có công", False, [["người"], ["có"], ["công"]], [("người có công", None, None)]),
        # Never asked: a conjunction, a clause end, a word of two syllables beside,
        # an abbreviation, a name beside a small letter, no syllable before.
        ("bão và lũ", False, [["bão"], ["và"], ["lũ"]], []),
        ("lúa hoặc ngô", False, [["lúa"], ["hoặc"], ["ngô"]], []),
        ("người có; công", False, [["người"], ["có"], ["công"]], []),
        ("người của nhà nước", False, [["người"], ["của"], ["nhà", "nước"]], []),
        ("UBND có công", False, [["ubnd"], ["có"], ["công"]], []),
        ("xã Lai có công", False, [["xã"], ["lai"], ["có"], ["công"]], []),
        ("có công", False, [["có"], ["công"]], []),
        ("nước Tại khu", False, [["nước"], ["tại"], ["khu"]], []),  # a sentence begins
        # A syllable inside a word beside is that word's, no neighbour of the bridge.
        (
            "chế độ người có công",
            True,
            [["chế", "độ"], ["người", "có", "công"]],
            [("người có công", None, None)],
        ),
        # A known form of several words that begins at the bridge's end keeps it.
        ("cấp lại giấy chứng nhận", True, None, []),
    ],
)
def test_what_a_bridge_joins(q, bridge, words, asked):
    def aliases(key, typed):
        known = {("ubnd",): ("uy", "ban", "nhan", "dan"), ("giay", "chung", "nhan"): ("gcn",)}
        return [(known[key], "")] if key in known else []

    calls = []

    def is_bridge(word, before, after):
        calls.append((word.text, before, after))
        return bridge

    def is_word(before, a, b, after, **_):
        return (a, b) in {("nha", "nuoc"), ("che", "do")}

    plan = plan_mod.build(parse(q), is_word, "exact", aliases, lambda a, b: True, is_bridge)
    if words is not None:
        assert [[s.text for s in w.syllables] for w in plan.words if not w.alias] == words
        assert [w.bridged for w in plan.words if not w.alias] == [len(w) == 3 for w in words]
    assert not any(w.bridged for w in plan.words) or words is not None
    assert calls == asked


def test_bridges_through_the_cli_the_api_and_the_page(bridges, runner, client_for):
    result = runner.invoke(cli, ["search", "nguoi co cong", "--index", str(bridges.path), "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert d["total"] == 12 and d["words"] == [["nguoi", "co", "cong"]]
    api = client_for(bridges.path).get("/api/search", query_string={"q": "người có công"})
    assert api.get_json()["total"] == 12
    page = client_for(bridges.path).get("/search", query_string={"q": "người có công"})
    assert page.status_code == 200
    assert '<mark class="match t0">người có công</mark>' in page.get_data(as_text=True)


# --- terms that meet: two bridges sharing a syllable, a name after a term ---------------

MEETING = [
    *(
        Article(id=f"honoured-{i}", title=f"Tin số {i}", body="Huyện thăm người có công.")
        for i in range(12)
    ),
    # "nhà cho người" side by side in 11 articles: a bridge too, but in fewer
    # articles than "người có công", which takes the syllable they share.
    *(
        Article(id=f"poor-{i}", title=f"Nhà tình thương {i}", body="Xây nhà cho người nghèo.")
        for i in range(10)
    ),
    Article(id="house-honoured", title="Nhà tình nghĩa", body="Xây nhà cho người có công."),
    # "công an" and "An Giang" are each a word of the index.
    *(
        Article(id=f"police-{i}", title=f"Tuần tra {i}", body="Công an tỉnh An Giang tuần tra đêm.")
        for i in range(3)
    ),
    Article(id="honoured-an-giang", title="Tri ân", body="Tỉnh An Giang thăm người có công."),
    Article(id="wounded", title="Thăm thương binh", body="Thương binh nặng được thăm hỏi."),
    Article(id="martyr", title="Nghĩa trang liệt sĩ", body="Viếng nghĩa trang liệt sĩ."),
    Article(id="martyr-2", title="Mộ liệt sĩ", body="Quy tập mộ liệt sĩ."),
    *(
        Article(id=f"poor-house-{i}", title="Hộ nghèo", body="Hộ nghèo được vay vốn.")
        for i in range(2)
    ),
    # "nâng cao" side by side 5 times, "mới nâng" twice: the stronger pair takes "nâng".
    *(
        Article(id=f"raise-{i}", title=f"Giáo dục {i}", body="Huyện nâng cao chất lượng.")
        for i in range(4)
    ),
    *(
        Article(id=f"upgrade-{i}", title=f"Đường {i}", body="Xã mới nâng cấp đường.")
        for i in range(2)
    ),
    Article(id="new-school", title="Trường học", body="Trường mới xây đã nâng cao chất lượng."),
    # A person, and the other Võ Văns rewarded: a name typed in small letters is the
    # person where the articles write the run with capitals.
    *(
        Article(id=f"president-{i}", title=f"Tiếp khách {i}", body="Ông Võ Văn Thưởng tiếp khách.")
        for i in range(4)
    ),
    *(
        Article(id=f"reward-{i}", title=f"Khen thưởng {i}", body="Ông Võ Văn Kiệt được thưởng.")
        for i in range(4)
    ),
    # Begins with a family name ("Hồ"), written in small letters: words.
    *(
        Article(id=f"support-{i}", title=f"Hỗ trợ {i}", body="Xã hỗ trợ người dân khó khăn.")
        for i in range(4)
    ),
]


@pytest.fixture(scope="module")
def meeting(articles_index, engine_for):
    return engine_for(articles_index(MEETING, "meeting"))


HONOURED_ALL = {f"honoured-{i}" for i in range(12)} | {"house-honoured", "honoured-an-giang"}
PRESIDENT = {f"president-{i}" for i in range(4)}


@pytest.mark.parametrize(
    "q, expected, words",
    [
        (
            "xây nhà cho người có công",
            {"house-honoured"},
            [["xây", "nhà"], ["cho"], ["người", "có", "công"]],
        ),
        (
            "nhà cho người có công",
            {"house-honoured"},
            [["nhà"], ["cho"], ["người", "có", "công"]],
        ),
        ("nhà cho người", {f"poor-{i}" for i in range(10)} | {"house-honoured"}, None),
        # A capital after a small letter begins the name: not "công an" + "Giang".
        (
            "người có công An Giang",
            {"honoured-an-giang"},
            [["người", "có", "công"], ["an", "giang"]],
        ),
        ("Người có công An Giang", {"honoured-an-giang"}, None),
        ("công an An Giang", {f"police-{i}" for i in range(3)}, [["công", "an"], ["an", "giang"]]),
        (
            "người có công An Giang OR thương binh",
            {"honoured-an-giang"},
            [["người", "có", "công"], ["an", "giang"], ["thương", "binh"]],
        ),
        # A term between two ORs is one alternative.
        (
            "thương binh OR người có công OR liệt sĩ",
            HONOURED_ALL | {"wounded", "martyr", "martyr-2"},
            [["thương", "binh"], ["người", "có", "công"], ["liệt", "sĩ"]],
        ),
        # ... also where a word chain before it took in the next OR.
        (
            "thương binh OR người có công OR liệt sĩ OR hộ nghèo",
            HONOURED_ALL | {"wounded", "martyr", "martyr-2", "poor-house-0", "poor-house-1"},
            [["thương", "binh"], ["người", "có", "công"], ["liệt", "sĩ"], ["hộ", "nghèo"]],
        ),
        (
            "thương binh OR người có công An Giang",
            {"honoured-an-giang"},
            [["thương", "binh"], ["người", "có", "công"], ["an", "giang"]],
        ),
        # Two pairs that share a syllable: the one more often side by side.
        ("mới nâng cao", {"new-school"}, [["mới"], ["nâng", "cao"]]),
        # A name typed in small letters, as the articles write it: one name.
        ("vo van thuong", PRESIDENT, [["vo", "van", "thuong"]]),
        ("võ văn thưởng", PRESIDENT, [["võ", "văn", "thưởng"]]),
        ("Vo van thuong", PRESIDENT, [["vo", "van", "thuong"]]),
        ("Võ Văn Thưởng", PRESIDENT, [["võ", "văn", "thưởng"]]),
        # Written in small letters, no name: "hỗ trợ" takes "người" as a pair (side by
        # side in every article holding both).
        (
            "ho tro nguoi",
            {f"support-{i}" for i in range(4)},
            [["ho", "tro", "nguoi"]],
        ),
    ],
)
def test_terms_that_meet(meeting, q, expected, words):
    assert match(meeting, q) == expected
    if words is not None:
        assert meeting.search(q).words == words


@pytest.mark.parametrize(
    "q, held, words",
    [
        # Two bridges share "người": the one more articles hold takes it.
        (
            "nhà cho người có công",
            {"nhà cho người": 43, "người có công": 145},
            [["nhà"], ["cho"], ["người", "có", "công"]],
        ),
        (
            "nhà cho người có công",
            {"nhà cho người": 145, "người có công": 43},
            [["nhà", "cho", "người"], ["có"], ["công"]],
        ),
        # A tie keeps the first.
        (
            "nhà cho người có công",
            {"nhà cho người": 50, "người có công": 50},
            [["nhà", "cho", "người"], ["có"], ["công"]],
        ),
        (
            "nhà cho người có công",
            {"người có công": 145},
            [["nhà"], ["cho"], ["người", "có", "công"]],
        ),
    ],
)
def test_two_bridges_sharing_a_syllable(q, held, words):
    def is_bridge(word, before, after):
        return held.get(word.text, 0)

    plan = plan_mod.build(parse(q), lambda *_, **__: False, "exact", None, None, is_bridge)
    assert [[s.text for s in w.syllables] for w in plan.words] == words


def test_small_letter_names_through_the_cli_and_the_api(meeting, runner, client_for):
    result = runner.invoke(cli, ["search", "vo van thuong", "--index", str(meeting.path), "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert d["total"] == 4 and d["words"] == [["vo", "van", "thuong"]]
    api = client_for(meeting.path).get("/api/search", query_string={"q": "võ văn thưởng"})
    assert api.get_json()["total"] == 4
    page = client_for(meeting.path).get("/search", query_string={"q": "vo van thuong"})
    assert '<mark class="match t0">Võ Văn Thưởng</mark>' in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "texts, run, counted",
    [
        (["Ông Võ Văn Thưởng phát biểu."], "vo van thuong", (1, 1, 0)),
        # Capitals throughout say nothing; a small letter is no name.
        (["VÕ VĂN THƯỞNG", "vợ vẫn thương con"], "vo van thuong", (0, 1, 0)),
        # A sentence's capital is on the first syllable only.
        (["Hỗ trợ người dân; hỗ trợ người nghèo."], "ho tro nguoi", (0, 2, 0)),
        (["Võ Văn", ""], "vo van thuong", (0, 0, 0)),
        # Gone on with a capital: after a space, not a line's end or a comma.
        (["Ông Nguyễn Hoàng Sang, Nguyễn Hoàng Nam"], "nguyen hoang", (2, 2, 2)),
        (["Nguyễn Hoàng\nNgày 5; Nguyễn Hoàng, Sang"], "nguyen hoang", (2, 2, 0)),
        (["Nguyễn  Hoàng  Sang"], "nguyen hoang", (1, 1, 1)),
    ],
)
def test_how_a_run_is_written(texts, run, counted):
    assert names_mod.capitals(texts, tuple(run.split())) == counted


ALL_WRITTEN = None  # every run is written as a name


@pytest.mark.parametrize(
    "q, written, words",
    [
        ("vo van thuong", {"vo van thuong"}, [["vo", "van", "thuong"]]),
        ("vo van thuong", set(), [["vo", "van"], ["thuong"]]),
        ("Vo van thuong", {"vo van thuong"}, [["vo", "van", "thuong"]]),
        ("xa vo van thuong", {"vo van thuong"}, [["xa"], ["vo", "van", "thuong"]]),
        # A family name must begin it; never over a clause end; at most four syllables.
        ("xa vo van", ALL_WRITTEN, [["xa"], ["vo", "van"]]),
        ("vo van; thuong", ALL_WRITTEN, [["vo", "van"], ["thuong"]]),
        ("le van an binh hung", ALL_WRITTEN, [["le", "van", "an", "binh"], ["hung"]]),
        # Each step is asked: a run the articles do not write as a name stops it;
        # so does a pair the index does not hold ("kim ngan" here).
        ("nguyen thi kim", {"nguyen thi"}, [["nguyen", "thi"], ["kim"]]),
        ("nguyen thi kim ngan", ALL_WRITTEN, [["nguyen", "thi", "kim"], ["ngan"]]),
    ],
)
def test_a_name_typed_in_small_letters(q, written, words):
    plan = plan_mod.build(
        parse(q),
        lambda _b, a, b, _a, **_: (a, b) in {("vo", "van"), ("nguyen", "thi")},
        "exact",
        None,
        lambda a, b: (a, b) != ("kim", "ngan"),
        written=lambda folded: plan_mod.Writing(
            written is None or " ".join(folded) in written, False
        ),
    )
    assert [[s.text for s in w.syllables] for w in plan.words] == words


@pytest.mark.parametrize(
    "counts, words",
    [
        ({"moi nang": 5, "nang cao": 2115}, [["mới"], ["nâng", "cao"]]),
        ({"moi nang": 2115, "nang cao": 5}, [["mới", "nâng"], ["cao"]]),
        ({"moi nang": 5, "nang cao": 5}, [["mới", "nâng"], ["cao"]]),  # a tie: the first
        ({"nang cao": 5}, [["mới"], ["nâng", "cao"]]),
    ],
)
def test_two_pairs_sharing_a_syllable(counts, words):
    plan = plan_mod.build(
        parse("mới nâng cao"),
        lambda *_, **__: False,
        "exact",
        None,
        lambda a, b: counts.get(f"{a} {b}", 0),
    )
    assert [[s.text for s in w.syllables] for w in plan.words] == words


@pytest.mark.parametrize(
    "q, counts, words",
    [
        # pyvi's "tổ" + "dân phố": "tổ" stands right before "dân phố" in 333 of its 382
        # occurrences, far more than after "thôn": one term.
        ("thôn tổ dân phố", {"thon to": 11, "to dan": 333}, [["thôn"], ["tổ", "dân", "phố"]]),
        ("tổ dân phố", {"to dan": 333}, [["tổ", "dân", "phố"]]),
        # The pair before is stronger, or a tie: the pair.
        ("thôn tổ dân phố", {"thon to": 400, "to dan": 333}, [["thôn", "tổ"], ["dân", "phố"]]),
        ("thôn tổ dân phố", {"thon to": 333, "to dan": 333}, [["thôn", "tổ"], ["dân", "phố"]]),
        # A fifth of them is enough ("Bộ" + "Tài chính": 49%, "công" + "trực tuyến": 28%).
        ("thôn tổ dân phố", {"thon to": 11, "to dan": 80}, [["thôn"], ["tổ", "dân", "phố"]]),
        # Before the word in too few of its occurrences: no term ("xã" + "nông thôn": 2%).
        ("thôn tổ dân phố", {"thon to": 11, "to dan": 60}, [["thôn", "tổ"], ["dân", "phố"]]),
        ("tổ dân phố", {"to dan": 60}, [["tổ"], ["dân", "phố"]]),
        # More often than the word itself: a pair of its own elsewhere, no sign.
        ("tổ dân phố", {"to dan": 5000}, [["tổ"], ["dân", "phố"]]),
        # Nor before what may begin a person's name.
        ("xã võ văn", {"xa vo": 900, "vo van": 382}, [["xã"], ["võ", "văn"]]),
    ],
)
def test_a_syllable_bound_to_the_word_after_it_is_one_term_with_it(q, counts, words):
    counts = {"dan pho": 382, **counts}
    plan = plan_mod.build(
        parse(q),
        lambda _b, a, b, _a, **_: (a, b) in {("dan", "pho"), ("vo", "van")},
        "exact",
        None,
        lambda a, b: counts.get(f"{a} {b}", 0),
    )
    assert [[s.text for s in w.syllables] for w in plan.words] == words
    assert all(w.paired for w in plan.words if len(w.syllables) == 3)


@pytest.mark.parametrize(
    "q, words",
    [
        ("bão miền Trung", [["bão"], ["miền", "trung"]]),
        ("các tỉnh miền Bắc", [["các"], ["tỉnh"], ["miền", "bắc"]]),
        # The stronger pair when the name goes on: a word beside a name.
        ("bão miền Trung Bộ", [["bão", "miền"], ["trung", "bộ"]]),
    ],
)
def test_a_region_takes_its_syllable_from_the_word_before(q, words):
    counts = {"bao mien": 3, "tinh mien": 40, "mien trung": 900, "mien bac": 700, "trung bo": 50}
    plan = plan_mod.build(
        parse(q), lambda *_, **__: False, "exact", None, lambda a, b: counts.get(f"{a} {b}", 0)
    )
    assert [[s.text for s in w.syllables] for w in plan.words] == words


@pytest.mark.parametrize(
    "q, words",
    [
        ("người có công An Giang", [["người"], ["có"], ["công"], ["an", "giang"]]),
        ("công An Giang", [["công"], ["an", "giang"]]),
        # Nothing to tell: all small letters, all capitals, or a lone capital.
        ("công an giang", [["công", "an", "giang"]]),
        ("CÔNG AN GIANG", [["công", "an", "giang"]]),
        ("cán bộ công An", [["cán", "bộ", "công", "an"]]),
        ("Công An Giang", [["công", "an", "giang"]]),
    ],
)
def test_a_capital_after_a_small_letter_begins_a_name(q, words):
    known = {("can", "bo"), ("bo", "cong"), ("cong", "an"), ("an", "giang")}
    plan = plan_mod.build(parse(q), lambda _b, a, b, _a, **_: (a, b) in known, "exact", None)
    assert [[s.text for s in w.syllables] for w in plan.words] == words


# --- OR and "-" bind a whole word --------------------------------------------------------

OPERATORS = [
    Article(
        id="lai-chau", title="Tỉnh Lai Châu họp", body="UBND tỉnh Lai Châu họp; Lai Châu tăng thu."
    ),
    Article(
        id="dien-bien", title="Tỉnh Điện Biên họp", body="Tỉnh Điện Biên họp; Điện Biên tăng thu."
    ),
    Article(
        id="gia-lai",
        title="Gia Lai phát triển điện gió",
        body="Tỉnh Gia Lai xây dựng điện gió ở vùng biên giới; hàng sang châu Âu.",
    ),
    Article(id="ha-noi", title="Cán bộ Hà Nội học tập", body="Cán bộ Hà Nội được bồi dưỡng."),
    Article(id="ha-giang", title="Cán bộ Hà Giang học tập", body="Cán bộ Hà Giang được bồi dưỡng."),
    Article(id="noi-vu", title="Cán bộ ngành nội vụ", body="Cán bộ nội vụ được bồi dưỡng."),
]


@pytest.fixture(scope="module")
def operators(articles_index, engine_for):
    return engine_for(articles_index(OPERATORS, "operators"))


@pytest.mark.parametrize(
    "q, expected",
    [
        # Not Lai (Châu or Điện) Biên: Gia Lai's "điện gió … biên giới" is neither.
        ("Lai Châu OR Điện Biên", {"lai-chau", "dien-bien"}),
        ("lai chau OR dien bien", {"lai-chau", "dien-bien"}),
        ('"Lai Châu" OR "Điện Biên"', {"lai-chau", "dien-bien"}),
        # Hà Nội left out, not every "hà" while "nội" is required.
        ("cán bộ -Hà Nội", {"ha-giang", "noi-vu"}),
        ('cán bộ -"Hà Nội"', {"ha-giang", "noi-vu"}),
        ("cán bộ -Hà", {"noi-vu"}),
    ],
)
def test_or_and_minus_bind_a_whole_word(operators, q, expected):
    assert match(operators, q) == expected


def test_a_chain_of_or_binds_each_word(operators):
    result = operators.search("Gia Lai OR Lai Châu OR Điện Biên")
    assert {h.id for h in result.hits} == {"gia-lai", "lai-chau", "dien-bien"}
    assert result.words == [["gia", "lai"], ["lai", "châu"], ["điện", "biên"]]


def test_the_words_shown_are_the_words_bound(operators):
    assert operators.search("Lai Châu OR Điện Biên").words == [["lai", "châu"], ["điện", "biên"]]
    assert operators.search("cán bộ -Hà Nội").words == [["cán", "bộ"]]


@pytest.mark.parametrize(
    "q, joined, clauses, excluded",
    [
        # The index's word test joins: the operators bind the words.
        ("a b OR c d", True, [["a b", "c d"]], []),
        ("x -y z", True, [["x"]], ["y z"]),
        ("x -y; z", True, [["x"], ["z"]], ["y"]),  # never over a clause end
        ("x -y OR z", True, [["x", "z"]], ["y"]),  # an OR between: nothing to join
        # A chain: the word between two ORs is one alternative.
        ("a OR b c OR d e", True, [["a", "b c", "d e"]], []),
        ("a OR b c OR d e", False, [["a", "b"], ["c", "d"], ["e"]], []),
        # It does not: the syllables, as typed.
        ("a b OR c d", False, [["a"], ["b", "c"], ["d"]], []),
        ("x -y z", False, [["x"], ["z"]], ["y"]),
    ],
)
def test_operators_bind_what_the_word_test_joins(q, joined, clauses, excluded):
    plan = plan_mod.build(parse(q), lambda *_, **__: joined, "exact", None)
    assert [[w.text for w in c] for c in plan.clauses] == clauses
    assert [w.text for w in plan.excluded] == excluded


@pytest.mark.parametrize(
    "q, clauses",
    [
        # A name of one syllable ends a term only as the last alternative.
        ("miền Trung OR Bắc", [["miền"], ["trung", "bắc"]]),
        ("Bắc OR miền Trung", [["bắc", "miền trung"]]),
        ("bão miền Trung OR Bắc", [["bão"], ["miền"], ["trung", "bắc"]]),
    ],
)
def test_or_binds_a_region_only_as_it_was_typed(q, clauses):
    counts = {"mien trung": 900, "mien bac": 700}
    plan = plan_mod.build(
        parse(q), lambda *_, **__: False, "exact", None, lambda a, b: counts.get(f"{a} {b}", 0)
    )
    assert [[w.text for w in c] for c in plan.clauses] == clauses


@pytest.mark.parametrize("q", ["x -y z", "x -y; z", 'x -"y" z'])
def test_no_word_joins_over_an_exclusion(q):
    plan = plan_mod.build(parse(q), lambda *_, **__: False, "exact", None, lambda a, b: True)
    assert [[w.text for w in c] for c in plan.clauses] == [["x"], ["z"]]


# --- names: capitalised words typed side by side -----------------------------------------

NAMES = [
    Article(
        id="leader",
        title="Ông Võ Văn Thưởng làm việc với tỉnh",
        body="Ông Võ Văn Thưởng đề nghị tỉnh chăm lo đời sống. Võ Văn Thưởng thăm nhà máy.",
    ),
    # Every syllable of the name, never side by side as the name.
    Article(
        id="scattered",
        title="Đại lộ Võ Văn Kiệt mở rộng",
        body="Công nhân làm đại lộ Võ Văn Kiệt được thưởng Tết sớm.",
    ),
    Article(
        id="deputy",
        title="Phó Thủ tướng Trương Hòa Bình thăm An Giang",
        body="Phó Thủ tướng Trương Hòa Bình thăm bà con. Trương Hòa Bình chỉ đạo chống lũ.",
    ),
    Article(
        id="province",
        title="Tỉnh Hòa Bình trồng rừng",
        body="Nông dân họ Trương ở tỉnh Hòa Bình trồng rừng.",
    ),
    # Two cities side by side in one article, apart in 25: two names, not one.
    Article(
        id="route",
        title="Tàu Hà Nội Đà Nẵng",
        body="Tuyến Hà Nội Đà Nẵng chạy đêm; Hà Nội Đà Nẵng.",
    ),
    *(
        Article(
            id=f"flight-{i}", title=f"Chuyến bay số {i}", body=f"Bay từ Hà Nội tới Đà Nẵng số {i}."
        )
        for i in range(25)
    ),
    # A person found once, whose syllables are in 26 articles: still one name, as
    # the articles go on "Nguyễn Hoàng" with a given name.
    Article(
        id="sang",
        title="Họp xã",
        body="Ông Nguyễn Hoàng Sang phát biểu. Nguyễn Hoàng Sang nói. Ông Nguyễn Hoàng Sang về.",
    ),
    Article(id="nam", title="Thăm xã", body="Ông Nguyễn Hoàng Nam thăm xã; Nguyễn Hoàng Nam về."),
    Article(id="nam-hanoi", title="Ra Hà Nội", body="Ông Nguyễn Hoàng Nam ra Hà Nội họp."),
    Article(id="ha", title="Dự họp", body="Bà Nguyễn Hoàng Hà dự họp. Nguyễn Hoàng Hà nói."),
    *(
        Article(id=f"dusk-{i}", title=f"Hoàng hôn {i}", body="Hoàng hôn sang thu ở làng họ Nguyễn.")
        for i in range(25)
    ),
]


@pytest.fixture(scope="module")
def names(articles_index, engine_for):
    return engine_for(articles_index(NAMES, "names"))


@pytest.mark.parametrize(
    "q, expected, words",
    [
        ("Võ Văn Thưởng", {"leader"}, [["võ", "văn", "thưởng"]]),
        ("Vo Van Thuong", {"leader"}, [["vo", "van", "thuong"]]),
        ("Trương Hòa Bình", {"deputy"}, [["trương", "hòa", "bình"]]),
        # A title or a unit's type before a name is not part of it.
        ("ông Võ Văn Thưởng", {"leader"}, [["ông"], ["võ", "văn", "thưởng"]]),
        ("Tỉnh Hòa Bình", {"province"}, [["tỉnh"], ["hòa", "bình"]]),
        # Typed in small letters: the name too, as the articles write it.
        ("võ văn thưởng", {"leader"}, [["võ", "văn", "thưởng"]]),
        ("Nguyễn Hoàng Sang", {"sang"}, [["nguyễn", "hoàng", "sang"]]),
        ("nguyen hoang sang", {"sang"}, [["nguyen", "hoang", "sang"]]),
        # A name found nowhere side by side is read apart, a person's too.
        ("Nguyễn Hoàng Hà Nội", {"nam-hanoi"}, None),
        # Side by side in 1 of the 26 articles with both: two names, read apart.
        (
            "Hà Nội Đà Nẵng",
            {"route", *(f"flight-{i}" for i in range(25))},
            [["hà", "nội"], ["đà", "nẵng"]],
        ),
    ],
)
def test_a_name_typed_with_capitals_stands_together(names, q, expected, words):
    result = names.search(q, per_page=50)
    assert {h.id for h in result.hits} == expected
    if words is not None:
        assert result.words == words


@pytest.mark.parametrize(
    "q, words",
    [
        ("Võ Văn Thưởng", [["võ", "văn", "thưởng"]]),
        ("Nguyễn Tuấn Anh", [["nguyễn", "tuấn", "anh"]]),  # a title word ends a name
        # Every word with a capital: "Ông Trương" may pair, as any two syllables.
        ("Ông Trương Hòa Bình", [["ông", "trương"], ["hòa", "bình"]]),
        ("ông Trương Hòa Bình", [["ông"], ["trương", "hòa", "bình"]]),
        ("Chu Văn An", [["chu", "văn", "an"]]),  # "Chu" is a family name, no "chú"
        ("Chủ Tịch Võ Văn Thưởng", [["chủ", "tịch"], ["võ", "văn", "thưởng"]]),
        # "Thủ" and "tướng": a capital and a small letter, no pair (the capital may be
        # a sentence's, but "tướng" might pair with what follows).
        ("Thủ tướng Phạm Minh Chính", [["thủ"], ["tướng"], ["phạm", "minh", "chính"]]),
        # Two syllables alone: the first one's capital is a sentence's.
        ("Hộ nghèo", [["hộ", "nghèo"]]),
        ("UBND Hà Giang", [["ubnd"], ["hà", "giang"]]),  # capitals throughout: no name
        ("Hà Giang; Điện Biên", [["hà", "giang"], ["điện", "biên"]]),  # a clause end
        ("Cô Tô", [["cô", "tô"]]),  # a pair, whatever "cô" may also be
        ("cán bộ Lai Châu", [["cán", "bộ"], ["lai", "châu"]]),
        # Every word with a capital: a name only after a family name.
        ("Can Bo Cap Xa", [["can", "bo"], ["cap", "xa"]]),
        ("Điện Biên Phủ", [["điện", "biên"], ["phủ"]]),
        ("chiến thắng Điện Biên Phủ", [["chiến", "thắng"], ["điện", "biên", "phủ"]]),
        ("Le Van Tam", [["le", "van", "tam"]]),
    ],
)
def test_what_joins_into_a_name(q, words):
    plan = plan_mod.build(parse(q), None, "exact", None, lambda a, b: True)
    assert [[s.text for s in w.syllables] for w in plan.words] == words


@pytest.mark.parametrize(
    "q, words",
    [
        # A sentence's capital on the query's first word begins no name.
        (
            "Về Đà Nẵng gặp Võ Văn Thưởng",
            [["về"], ["đà", "nẵng"], ["gặp"], ["võ", "văn", "thưởng"]],
        ),
        ("Võ Văn Thưởng về Đà Nẵng", [["võ", "văn", "thưởng"], ["về"], ["đà", "nẵng"]]),
    ],
)
def test_a_first_capital_begins_a_name_only_as_a_family_name(q, words):
    side_by_side = {("da", "nang"), ("vo", "van"), ("van", "thuong"), ("ve", "da")}
    plan = plan_mod.build(parse(q), None, "exact", None, lambda a, b: (a, b) in side_by_side)
    assert [[s.text for s in w.syllables] for w in plan.words] == words


@pytest.mark.parametrize(
    "q, expected, words, excluded",
    [
        # The person left out, not every "võ văn" while "thưởng" is required.
        ("thưởng -Võ Văn Thưởng", {"scattered"}, [["thưởng"]], ["võ văn thưởng"]),
        ("Thuong -Vo Van Thuong", {"scattered"}, [["thuong"]], ["vo van thuong"]),
        (
            "Trương Hòa Bình OR Võ Văn Thưởng",
            {"deputy", "leader"},
            [["trương", "hòa", "bình"], ["võ", "văn", "thưởng"]],
            [],
        ),
        # A title and the name after it are left out together.
        ("thưởng -Ông Võ Văn Thưởng", {"scattered"}, [["thưởng"]], ["ông võ văn thưởng"]),
        # In capitals throughout, "UBND" joins nothing: "-UBND" leaves out UBND alone.
        (
            "thưởng -UBND Võ Văn",
            {"scattered", "leader"},
            [["thưởng"], ["võ", "văn"]],
            ["ubnd"],
        ),
    ],
)
def test_operators_bind_a_whole_name(names, q, expected, words, excluded):
    result = names.search(q, per_page=50)
    assert {h.id for h in result.hits} == expected
    assert result.words == words
    plan = plan_mod.build(
        parse(q),
        lambda *_, **__: False,
        "exact",
        None,
        names_side_by_side,
        is_name=lambda *_, **__: True,
    )
    assert [w.text for w in plan.excluded] == excluded


@pytest.mark.parametrize(
    "q, clauses, excluded",
    [
        ("bão -Võ Văn Thưởng", [["bão"]], ["võ văn thưởng"]),
        ("bão -Trương Hòa Bình", [["bão"]], ["trương hòa bình"]),
        ("bão -Bà Rịa Vũng Tàu", [["bão"]], ["bà rịa vũng tàu"]),
        # Two names that merely meet in the index: the second is no part of the first.
        ("bão -Hà Tĩnh Nghệ An", [["bão"], ["nghệ an"]], ["hà tĩnh"]),
        ("bão -Lào Nghệ An", [["bão"], ["nghệ an"]], ["lào"]),
        # A pair does not take the first syllable of a word ("xã hội").
        ("bão -cấp xã hội", [["bão"], ["xã hội"]], ["cấp"]),
        ("Hà Tĩnh Nghệ An OR Huế", [["hà tĩnh"], ["nghệ an", "huế"]], []),
        ("Trương Hòa Bình OR Huế", [["trương hòa bình", "huế"]], []),
    ],
)
def test_a_name_under_an_operator_ends_where_another_begins(q, clauses, excluded):
    words = {("ha", "tinh"), ("nghe", "an"), ("hoa", "binh"), ("xa", "hoi"), ("vung", "tau")}
    words |= {("ba", "ria")}

    def is_word(before, a, b, after, **_):
        return (a, b) in words

    side_by_side = {("vo", "van"), ("van", "thuong"), ("truong", "hoa"), ("tinh", "nghe")}
    side_by_side |= {("lao", "nghe"), ("cap", "xa"), ("ria", "vung")} | words
    names = {"vo van thuong", "truong hoa binh", "ba ria vung tau"}
    asked = []

    def is_name(first, then):
        asked.append((first, then))
        return any(n.startswith(" ".join(first + then)) for n in names)

    def build(**kw):
        return plan_mod.build(parse(q), is_word, "exact", None, is_name=is_name, **kw)

    def pairs(a, b):
        return (a, b) in side_by_side

    plan = build(is_pair=pairs)
    assert [[w.text for w in c] for c in plan.clauses] == clauses
    assert [w.text for w in plan.excluded] == excluded
    # The name test sees the word that begins where a name would go on.
    if q == "bão -Hà Tĩnh Nghệ An":
        assert (("ha", "tinh"), ("nghe", "an")) in asked
    # Readings that leave pairs apart keep what the operators bind.
    assert [w.text for w in build(bind=pairs).excluded] == excluded


def test_the_apart_reading_keeps_a_name_left_out(names):
    # "Hà Nội Đà Nẵng" is read apart (two cities); the name left out stays whole.
    result = names.search("Hà Nội Đà Nẵng -Võ Văn Thưởng", per_page=50)
    assert result.total == 26 and result.words == [["hà", "nội"], ["đà", "nẵng"]]


def test_the_folded_reading_keeps_a_name_left_out(names):
    # "thưỡng" (a tone slip) finds nothing as typed; the folded reading still
    # leaves out the person, not every "võ văn" while requiring "thưởng".
    result = names.search("thưỡng -Võ Văn Thưởng", per_page=50)
    assert result.fallback and {h.id for h in result.hits} == {"scattered"}


def names_side_by_side(a, b):
    return (a, b) in {
        ("vo", "van"),
        ("van", "thuong"),
        ("truong", "hoa"),
        ("hoa", "binh"),
        ("ong", "vo"),
        ("ubnd", "vo"),
    }


def test_names_through_the_cli_and_the_api(names, runner, client_for):
    result = runner.invoke(cli, ["search", "Vo Van Thuong", "--index", str(names.path), "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert [h["id"] for h in d["hits"]] == ["leader"] and d["words"] == [["vo", "van", "thuong"]]
    api = client_for(names.path).get("/api/search", query_string={"q": "Trương Hòa Bình"})
    assert [h["id"] for h in api.get_json()["hits"]] == ["deputy"]
    page = client_for(names.path).get("/search", query_string={"q": "Trương Hòa Bình"})
    assert page.status_code == 200
    assert '<mark class="match t0">Trương Hòa Bình</mark>' in page.get_data(as_text=True)


def test_the_folded_reading_keeps_what_the_typed_one_joined(readings):
    # One article holds "chính quy" and "ban hành": too few, so the query is read again
    # without accents. There "chinh quy" is still a pair, not two syllables anywhere
    # (the 60 articles of "chính quyền … ban hành quy định").
    result = readings.search("chính quy ban hành", per_page=100)
    assert ids(result) == ["regular-0"]
    assert result.words == [["chính", "quy"], ["ban", "hành"]]
