"""A question typed as a query ("vì sao giá lúa tăng") finds the articles about what it
asks, not every article with one of its words: a short question needs each of its
content words, function words on their own ("đã", "của") count for nothing, a
trailing "sao" counted by a number or part of a word ("5 sao", "ngôi sao") is no
question word, and words that frame a question ("Định nghĩa của ...") are question
words. A word chained from overlapping pairs is held or cut whole ("định nghĩa" +
"hộ nghèo").

A real index of hand-made articles, through the library, the CLI, the JSON API and the page.
"""

from __future__ import annotations

import json

import pytest
from helpers import pair_counts, word_test

from search import plan as plan_mod
from search.article import Article
from search.cli import cli
from search.query import parse

QUESTIONS = [
    *(
        Article(
            id=f"rice-{i}",
            title=f"Thị trường {i}",
            body=f"Giá lúa tăng mạnh ở đồng bằng, đợt {i}.",
        )
        for i in range(2)
    ),
    Article(id="rice-flat", title="Lúa", body="Giá lúa đứng yên trong tuần."),
    *(
        Article(id=f"rise-{i}", title=f"Dân số {i}", body=f"Dân số tăng nhanh, năm {i}.")
        for i in range(3)
    ),
    *(
        Article(id=f"star-{i}", title=f"Bóng đá {i}", body=f"Ngôi sao bóng đá về thăm quê {i}.")
        for i in range(2)
    ),
    *(
        Article(
            id=f"hotel-{i}",
            title=f"Du lịch {i}",
            body=f"Khách sạn 5 sao mới mở ở ven biển, đợt {i}.",
        )
        for i in range(2)
    ),
    Article(id="hotel-plain", title="Nhà nghỉ", body="Khách sạn nhỏ ven đường."),
    # "ngôi" and "khách sạn 5" without a star: "sao" is no question word to leave out.
    Article(id="house", title="Nhà cũ", body="Ngôi nhà cổ được trùng tu."),
    Article(id="floors", title="Xây dựng", body="Khách sạn 5 tầng mọc lên ở trung tâm."),
    *(
        Article(
            id=f"paid-{i}",
            title=f"Thanh toán {i}",
            body=f"Người dân thanh toán tiền điện qua ngân hàng, tháng {i}.",
        )
        for i in range(2)
    ),
    *(
        Article(id=f"done-{i}", title=f"Họp {i}", body=f"Xã đã họp bàn kế hoạch, lần {i}.")
        for i in range(3)
    ),
    # A definition that never says "định nghĩa", and a text that does.
    Article(
        id="labour",
        title="Điều 3",
        body="Quan hệ lao động là quan hệ xã hội phát sinh trong việc thuê mướn lao động.",
    ),
    Article(id="glossary", title="Thuật ngữ", body="Định nghĩa các thuật ngữ về đất đai."),
    # What a reader asks "phải làm sao" or "… chưa" about: never those words.
    *(
        Article(
            id=f"deed-{i}",
            title=f"Sổ đỏ {i}",
            body=f"Người dân bị mất sổ đỏ cần báo ngay cho xã, hồ sơ {i}.",
        )
        for i in range(2)
    ),
    *(
        Article(
            id=f"pay-{i}",
            title=f"Lương {i}",
            body=f"Cán bộ được tăng lương từ tháng 7, đợt {i}.",
        )
        for i in range(2)
    ),
    Article(id="how", title="Làm sao", body="Làm sao để học giỏi? Phải làm sao bây giờ?"),
]


@pytest.fixture(scope="module")
def questions(articles_index, engine_for):
    return engine_for(articles_index(QUESTIONS, "questions"))


@pytest.mark.parametrize("q", ["khach san nam sao", "khach san bon sao", "nha hang nam sao"])
def test_a_number_typed_without_accents_counts_a_final_sao(questions, q):
    # Stars, not "why": "sao" stays one of the words, as with accents.
    assert ["sao"] in questions.search(q).words


@pytest.mark.parametrize(
    "q, expected",
    [
        # Every word it asks about, not "tăng" alone (5 articles) or "giá lúa" alone.
        ("vì sao giá lúa tăng", {"rice-0", "rice-1"}),
        ("giá lúa tăng như thế nào?", {"rice-0", "rice-1"}),
        ("giá lúa tăng sao", {"rice-0", "rice-1"}),
        ("vi sao gia lua tang", {"rice-0", "rice-1"}),
        # "đã" is no evidence of the subject: the payments, not every "đã".
        ("đã thanh toán chưa", {"paid-0", "paid-1"}),
        # A star, not "why".
        ("ngôi sao", {"star-0", "star-1"}),
        ("khách sạn 5 sao", {"hotel-0", "hotel-1"}),
        # Framing words are question words: the definition that never says so.
        ('Định nghĩa của "quan hệ lao động"?', {"labour"}),
        ('Dinh nghia cua "quan he lao dong"?', {"labour"}),
        # "phải làm sao" asks how; a number before "chưa" leaves it a question word.
        ("mất sổ đỏ phải làm sao", {"deed-0", "deed-1"}),
        ("đã tăng lương tháng 7 chưa", {"pay-0", "pay-1"}),
    ],
)
def test_a_question_finds_what_it_asks_about(questions, q, expected):
    assert set(questions.match_ids(q)) == expected
    assert questions.search(q).total == len(expected)


@pytest.mark.parametrize(
    "q, questions_",
    [
        ("vì sao giá lúa tăng", {"vì sao"}),
        ("giá lúa tăng sao", {"sao"}),
        ("khách sạn 5 sao", set()),
        ("khách sạn năm sao", set()),
        ("ngôi sao", set()),  # the word test joins "ngôi sao"
        ("xã đạt chuẩn chưa", {"chưa"}),
        # "chưa" after a number or joined to the word before is still the question.
        ("đã có điểm thi lớp 10 chưa", {"chưa"}),
        ("đã khởi công chưa", {"chưa"}),
        ("mất sổ đỏ phải làm sao", {"phải làm sao"}),
        ("người tổ chức là ai?", {"là ai"}),
        # A framing word is the question where nothing else asks, or before "của".
        ("định nghĩa của hộ nghèo?", {"định nghĩa"}),
        ("mô tả quyền đối với quốc tịch theo bộ luật dân sự năm 2015", {"mô tả"}),
        # Before another question word it is what is asked about; nor does it begin
        # a word of its own ("nêu gương").
        ("mô tả công việc là gì?", {"là gì"}),
        # "Định nghĩa", "khái niệm" name the answer, even so; alone, they are asked about.
        ("định nghĩa hộ nghèo là gì", {"định nghĩa", "là gì"}),
        ("khái niệm là gì", {"là gì"}),
        ("hãy cho biết giá lúa tăng ra sao", {"hãy cho biết", "ra sao"}),
        ("nêu gương người tốt?", set()),
        # Not a question: "định nghĩa" is a word like any other.
        ("định nghĩa hộ nghèo", set()),
    ],
)
def test_which_words_are_question_words(q, questions_):
    plan = plan_mod.build(
        parse(q),
        word_test(
            ("ngoi", "sao"),
            ("dinh", "nghia"),
            ("ho", "ngheo"),
            ("la", "gi"),
            ("cong", "chua"),
            ("neu", "guong"),
            ("lam", "sao"),
        ),
        "exact",
    )
    asked = {s.text for w in plan.words if w.question for s in w.syllables}
    assert asked == {s for q in questions_ for s in q.split()}


@pytest.mark.parametrize(
    "words, long, required",
    [
        # A short question: every content word; the function word on its own is none.
        (["đã", "thanh toán", "chưa?"], False, ["thanh toán"]),
        (["giá lúa", "tăng", "sao?"], False, ["giá lúa", "tăng"]),
        # Only function words: they are what there is.
        (["đã", "của?"], False, ["đã", "của"]),
        # Typed without accents, a lone syllable may be a content word: "cho" *chợ*.
        (["cho", "ben thanh", "o dau"], False, ["cho", "ben thanh"]),
        (["da", "thanh toan?"], False, ["da", "thanh toan"]),
    ],
)
def test_what_a_question_requires(words, long, required):
    is_word = word_test(("thanh", "toan"), ("gia", "lua"), ("ben", "thanh"))
    plan = plan_mod.build(parse(" ".join(words)), is_word)
    assert plan.long is long
    assert [" ".join(w.text for w in c) for c in plan.required] == required
    assert plan.min_match == len(required)


def test_a_long_query_needs_half_of_its_content_words():
    q = "người dân ở xã đã được hỗ trợ tiền điện trong tháng qua của năm nay"
    plan = plan_mod.build(parse(q))
    content = [c for c in plan.clauses if not plan_mod.is_function_word(c[0].text)]
    assert plan.long and plan.required == content
    assert plan.min_match == -(-len(content) // 2)


@pytest.mark.parametrize(
    "is_word, is_pair, runs, words",
    [
        # "nghĩa hộ" is a word somewhere and "định nghĩa hộ" stands side by side by
        # chance; "hộ nghèo" pairs: the whole chain is held nowhere, so two words.
        (
            word_test(("dinh", "nghia"), ("nghia", "ho")),
            pair_counts(ho_ngheo=50),
            (("dinh", "nghia", "ho"),),
            [["định", "nghĩa"], ["hộ", "nghèo"]],
        ),
        # Held whole: one word.
        (
            word_test(("dinh", "nghia"), ("nghia", "ho")),
            pair_counts(ho_ngheo=50),
            (("dinh", "nghia", "ho"), ("dinh", "nghia", "ho", "ngheo")),
            [["định", "nghĩa", "hộ", "nghèo"]],
        ),
    ],
)
def test_a_chain_is_held_or_cut_whole(is_word, is_pair, runs, words):
    plan = plan_mod.build(
        parse("định nghĩa hộ nghèo"),
        is_word,
        "exact",
        None,
        is_pair,
        holds=lambda folded: folded in runs,
    )
    assert plan.describe() == words


def test_questions_through_the_cli_the_api_and_the_page(questions, runner, client_for):
    q = "vì sao giá lúa tăng"
    result = runner.invoke(cli, ["search", q, "--index", str(questions.path), "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert {h["id"] for h in d["hits"]} == {"rice-0", "rice-1"} and d["total"] == 2
    client = client_for(questions.path)
    api = client.get("/api/search", query_string={"q": "đã thanh toán chưa"}).get_json()
    assert api["total"] == 2 and {h["id"] for h in api["hits"]} == {"paid-0", "paid-1"}
    page = client.get("/search", query_string={"q": q}).get_data(as_text=True)
    assert "rice-0" in page and "rise-0" not in page
