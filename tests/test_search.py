"""The query layer against a real index: diacritics, ranking, syntax, policy references."""

import re

import pytest

from search import plan as plan_mod
from search.analysis import analyze, clause_syllables
from search.engine import open_engine
from search.errors import BadQuery
from search.highlight import Terms, mark, mark_all
from search.query import parse

SEED_000 = "000_5bb86f784192a000"  # Điện Biên Đông, 1184/KL-UBND
SEED_002 = "002_265fc339e34caf49"  # Đại Từ, "thị trấn Hùng Sơn"
SEED_003 = "003_aac2802c33d76ede"  # Ðiện Biên Phủ, 774/KH - UBND
SEED_004 = "004_746fea586429b06c"  # Bắc Kạn, 70/2009/QĐ-TTg, "hòa đồng"
SEEDS = {SEED_000, "001_ae031a0ab61b1afb", SEED_002, SEED_003, SEED_004}


def ids(result):
    return [h.id for h in result.hits]


@pytest.mark.parametrize(
    "q", ["can bo cap xa", "cán bộ cấp xã", "CÁN BỘ CẤP XÃ", "cán bộ cấp xa", "Can Bo Cap Xa"]
)
def test_diacritics_are_optional(engine, q):
    # Every seed with "cấp xã"; 003 has "cấp phòng" and "xã Thanh Minh", never side by side.
    result = engine.search(q, per_page=20)
    assert set(ids(result)) == SEEDS - {SEED_003}


def test_nfd_query_matches(engine):
    import unicodedata

    q = unicodedata.normalize("NFD", "thủy lợi nội đồng")
    assert ids(engine.search(q))[0] == "syn/nfd"


@pytest.mark.parametrize("q", ["thủy lợi nội đồng", "thuy loi noi dong", "thuỷ lợi nội đồng"])
def test_nfd_document_matches(engine, q):
    assert ids(engine.search(q))[0] == "syn/nfd"


@pytest.mark.parametrize("q", ["Đại hội Đảng bộ xã Xuân La", "Ðại hội Ðảng bộ", "dai hoi dang bo"])
def test_eth_lookalike_is_d_with_stroke(engine, q):
    assert "syn/eth" in ids(engine.search(q))


def test_accents_typed_mean_accents(engine):
    # syn/hiệu has "hiệu" eight times, syn/hiểu has "hiểu" twice.
    result = engine.search("hiểu", per_page=20)
    assert ids(result)[0] == "syn/hiểu một lần"
    assert "syn/hiệu nhiều lần" not in ids(result)
    assert "syn/hiểu một lần" not in ids(engine.search("hiệu", per_page=20))


def test_folded_reading_ranks_exact_accents_first(engine):
    result = engine.search("hiểu", per_page=20, accents="any")
    assert result.accents == "any"
    assert ids(result)[0] == "syn/hiểu một lần"
    assert "syn/hiệu nhiều lần" in ids(result)
    assert ids(engine.search("hiệu", accents="any"))[0] == "syn/hiệu nhiều lần"


@pytest.mark.parametrize("q", ["hòa đồng", "hoà đồng"])
def test_tone_styles_rank_identically(engine, q):
    result = engine.search(q, per_page=20)
    assert ids(result) == ids(engine.search("hòa đồng", per_page=20))
    assert {"syn/old-style", "syn/whole-word", SEED_004} <= set(ids(result))


@pytest.mark.parametrize("q", ["hòa đồng", "hoa dong"])
def test_whole_segmented_word_beats_match_across_word_boundary(engine, q):
    order = ids(engine.search(q, per_page=20))
    assert order.index("syn/whole-word") < order.index("syn/across-words")


def test_syllables_match_contiguously_whatever_pyvi_did(engine):
    # pyvi reads "chan hòa đồng_bào": the syllables still match as a phrase.
    assert "syn/across-words" in ids(engine.search('"hòa đồng"'))


@pytest.mark.parametrize(
    "q",
    [
        '"thị trấn Hùng Sơn"',
        '"thi tran hung son"',
        # Typographic quotes, as phones and word processors type them.
        "“thị trấn Hùng Sơn”",
        "«thị trấn Hùng Sơn»",
        "„thi tran hung son“",
    ],
)
def test_quoted_phrase(engine, q):
    assert ids(engine.search(q)) == [SEED_002]


@pytest.mark.parametrize(
    "q, units, excluded",
    [
        ("ông “Võ Văn Thưởng”", [["ông"], ["võ", "văn", "thưởng"]], []),
        ("“cán bộ” -“cấp xã”", [["cán", "bộ"]], [["cấp", "xã"]]),
        # Unbalanced, as a straight one: a character like any other.
        ("“cán bộ", [["cán"], ["bộ"]], []),
    ],
)
def test_typographic_quotes_quote(q, units, excluded):
    pq = parse(q)
    assert [u.syllables for c in pq.clauses for u in c] == units
    assert [u.syllables for u in pq.excluded] == excluded


def test_words_need_not_be_contiguous_unquoted(engine):
    assert SEED_002 in ids(engine.search("Hùng Sơn thị trấn"))
    assert ids(engine.search('"Hùng Sơn thị trấn"')) == []


def test_all_words_must_match(engine):
    assert ids(engine.search("Háng Lìa")) == [SEED_000]
    # No article has all four: the rarest word is left out, and the result says so.
    result = engine.search("Háng Lìa Pác Nặm")
    assert result.missing and result.total >= 1
    assert set(result.missing) < {"háng", "lìa", "pác", "nặm", "háng lìa", "pác nặm"}


def test_or(engine):
    assert set(ids(engine.search('"Háng Lìa" OR "Pác Nặm"'))) == {SEED_000, SEED_004}
    assert set(ids(engine.search("Lìa OR Pác"))) == {SEED_000, SEED_004}
    # OR binds the two words beside it: Háng AND (Lìa OR Pác).
    assert ids(engine.search("Háng Lìa OR Pác")) == [SEED_000]


@pytest.mark.parametrize(
    "q, absent",
    [
        ("cán bộ -Háng", SEED_000),
        ('cán bộ -"Pác Nặm"', SEED_004),
        ("cán bộ -Pác", SEED_004),
    ],
)
def test_minus_excludes_exactly_when_accented(engine, q, absent):
    result = engine.search(q, per_page=50)
    assert absent not in ids(result)
    assert len(SEEDS & set(ids(result))) == 4


def test_unaccented_minus_excludes_every_accent_variant(engine):
    # "hang" is Háng, hàng, hạng...: all of them go.
    result = engine.search("can bo -hang", per_page=50)
    assert SEED_000 not in ids(result)
    assert all("hang" not in analyze(engine.article(i).text()) for i in ids(result))


@pytest.mark.parametrize(
    "q, article",
    [
        ("70/2009/QĐ-TTg", SEED_004),
        ("70/2009/QD-TTG", SEED_004),
        ("70/2009/qđ-ttg", SEED_004),
        ("774/KH-UBND", SEED_003),
        ("774/KH - UBND", SEED_003),
        ("774/kh-ubnd", SEED_003),
        ("1184/KL-UBND", SEED_000),
        ("Nghị quyết 37", "001_ae031a0ab61b1afb"),
    ],
)
def test_policy_references_are_exact_identifiers(engine, q, article):
    assert ids(engine.search(q)) == [article]


def test_policy_reference_with_words(engine):
    assert ids(engine.search("cán bộ 70/2009/QD-TTG")) == [SEED_004]
    result = engine.search("Háng Lìa 70/2009/QD-TTG")
    assert result.missing


def test_long_question_relaxes_to_ranked_or(engine):
    q = "huyện Điện Biên Đông có bao nhiêu cán bộ chuyên trách và công chức cấp xã hiện nay"
    assert len(parse(q).positive_syllables) >= 10
    result = engine.search(q)
    assert result.total > 0
    assert ids(result)[0] == SEED_000


def test_short_query_is_not_relaxed(engine):
    # Not an OR of its words: the word no article has is left out, and named.
    result = engine.search("cán bộ xyzzyqq")
    assert result.missing == ["xyzzyqq"]
    assert result.total == engine.search("cán bộ").total


@pytest.mark.parametrize(
    "q",
    [
        "title:(",
        '"unclosed',
        "(",
        ")",
        "OR",
        "-",
        "- -",
        "OR OR cán",
        "AND NOT",
        "***",
        "?",
        "cán bộ)",
        '""',
        "-cán",
        "a" * 5000,
        "\x00\x01 cán",
        "\u202ecán bộ",
        "😀 cán bộ",
        "{{ 7*7 }}",
        "'; DROP TABLE articles; --",
        "title:cán",
        "cán*",
        "ca?",
    ],
)
def test_malformed_syntax_never_raises(engine, q):
    result = engine.search(q)
    assert result.total >= 0
    assert isinstance(result.to_dict(), dict)


def test_only_negative_query_lists_everything_else(engine):
    # "Nậm" (syn/caption-only) is not "Nặm" (seed 004): the exclusion is exact.
    result = engine.search("-Nậm", per_page=100)
    assert result.total == engine.count() - 1
    assert "syn/caption-only" not in ids(result)


def test_field_syntax_is_plain_words(engine):
    pq = parse("title:(cán")
    assert pq.positive_syllables == ["title", "cán"]


@pytest.mark.parametrize(
    "q, units, pauses",
    [
        # A comma before a capital (between names), with or without a space, ends a
        # word; one between lower-case words ("phòng, chống") or a decimal one does not.
        ("Hà Nội,Đà Nẵng", [["hà"], ["nội"], ["đà"], ["nẵng"]], [False, True, False, False]),
        ("Hà Nội, Đà Nẵng", [["hà"], ["nội"], ["đà"], ["nẵng"]], [False, True, False, False]),
        ("phòng, chống", [["phòng"], ["chống"]], [False, False]),
        ("phòng,chống", [["phòng", "chống"]], [False]),
        ("hòa;giải", [["hòa"], ["giải"]], [True, False]),
        ("UBND. Ông", [["ubnd"], ["ông"]], [True, False]),
        ("2,5 tỷ", [["2,5"], ["tỷ"]], [False, False]),
        # Tokens of one word stay whole, and so does an abbreviation's full stop.
        ("TP.HCM", [["tp", "hcm"]], [False]),
        ("TP. Hồ Chí Minh", [["tp"], ["hồ"], ["chí"], ["minh"]], [False] * 4),
        ("nông-thôn", [["nông", "thôn"]], [False]),
        # A quoted phrase too is cut there: the index never puts a phrase over it.
        ('"Nội,Đà"', [["nội"], ["đà"]], [True, False]),
        ('"văn hoá. Giải trí"', [["văn", "hóa"], ["giải", "trí"]], [True, False]),
    ],
)
def test_punctuation_ends_a_word(q, units, pauses):
    pq = parse(q)
    assert [u.syllables for c in pq.clauses for u in c] == units
    assert [u.pause for c in pq.clauses for u in c] == pauses


@pytest.mark.parametrize(
    "text, syllables",
    [
        ("5 USD. Người dân", ["5", "usd", None, "người", "dân"]),  # a sentence's end
        ("phát triển.” Ông", ["phát", "triển", None, "ông"]),  # before a closing quote
        ("TP. Hồ Chí Minh", ["tp", "hồ", "chí", "minh"]),  # an abbreviation's
        ("PGS. TS. Nguyễn", ["pgs", "ts", "nguyễn"]),
        ("phòng, chống", ["phòng", "chống"]),  # a comma inside a term
        ("Khánh Hòa, Bình Định", ["khánh", "hòa", None, "bình", "định"]),  # between names
    ],
)
def test_where_the_index_leaves_a_position_free(text, syllables):
    assert clause_syllables(text) == syllables


def test_no_whole_query_phrase_over_a_clause_end():
    assert plan_mod.phrase(plan_mod.build(parse("Hà Nội, Đà Nẵng"))) is None
    assert len(plan_mod.phrase(plan_mod.build(parse("Hà Nội Đà Nẵng"))) or []) == 4


def test_a_word_never_goes_on_past_a_comma(engine):
    # "nội đà" is no word; read through the comma it would be a phrase of it.
    glued, spaced = engine.search("Hà Nội,Đà Nẵng"), engine.search("Hà Nội, Đà Nẵng")
    assert glued.words == spaced.words
    assert ["nội", "đà"] not in glued.words
    assert glued.total == spaced.total


def test_caption_match_is_found_and_highlighted(engine):
    result = engine.search("Nậm Pồ")
    assert ids(result) == ["syn/caption-only"]
    assert '<mark class="match' in result.hits[0].snippet


def test_snippet_marks_accented_words_for_unaccented_query(engine):
    # "thị trấn" is one word: marked as one.
    hit = engine.search("thi tran hung son").hits[0]
    assert '<mark class="match t0">thị trấn</mark>' in hit.snippet


def test_snippet_is_escaped(engine):
    hit = engine.search("cán bộ").hits[0]
    assert "<script" not in hit.snippet


def _words(*words: str) -> Terms:
    """Terms of plain (folded) one-syllable words."""
    return Terms(tuple(((w, False),) for w in words))


@pytest.mark.parametrize(
    "text, terms, html",
    [
        # One class per distinct surface, in order of appearance; the same surface keeps it.
        (
            "xã A, huyện B, xã C",
            _words("xa", "huyen"),
            (
                '<mark class="match t0">xã</mark> A, <mark class="match t1">huyện</mark> B, '
                '<mark class="match t0">xã</mark> C'
            ),
        ),
        # Five classes: the sixth distinct surface takes t0 again.
        (
            "a b c d e f",
            _words("a", "b", "c", "d", "e", "f"),
            " ".join(f'<mark class="match t{i % 5}">{w}</mark>' for i, w in enumerate("abcdef")),
        ),
        # Text between and inside matches is escaped; quotes stay as they are.
        (
            'x<b>&"y" xã',
            _words("xa"),
            'x&lt;b&gt;&amp;"y" <mark class="match t0">xã</mark>',
        ),
    ],
)
def test_marks_number_words_and_escape_the_rest(text, terms, html):
    assert mark_all(text, terms) == html


def test_snippet_fragments_are_joined_by_an_ellipsis():
    text = "xã " + "lời " * 60 + "huyện " + "lời " * 60 + "xã huyện"
    marked = mark(text, _words("xa", "huyen"), top=2)
    # The fragment with both words ranks first; the next best is the earlier one.
    assert marked.count(" … ") == 1
    first, second = marked.split(" … ")
    assert first.startswith('<mark class="match t0">xã</mark> lời')
    assert second.endswith('<mark class="match t0">xã</mark> <mark class="match t1">huyện</mark>')


def test_empty_query_lists_everything_newest_first(engine):
    result = engine.search("", per_page=100)
    assert result.total == engine.count()
    dates = [h.date for h in result.hits if h.date]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"page": 0},
        {"page": 1001},
        {"per_page": 0},
        {"per_page": 101},
        {"sort": "title"},
        {"year": "abc"},
        {"date_from": "2020-13-01"},
        {"date_to": "yesterday"},
    ],
)
def test_bad_arguments_raise_bad_query(engine, kwargs):
    with pytest.raises(BadQuery):
        engine.search("cán bộ", **kwargs)


def test_to_dict_shape(engine):
    d = engine.search("can bo", per_page=2).to_dict()
    assert set(d) >= {"query", "total", "hits", "facets", "suggestion", "page", "per_page"}
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


@pytest.mark.parametrize(
    "typed, restored",
    [
        ("can bo cap xa", "cán bộ cấp xã"),
        ("hieu", "hiệu"),
        ("nam", "năm"),
        ("dang bo", "đảng bộ"),
        ("hoa dong", "hòa đồng"),
        ("Can Bo", "Cán Bộ"),
        ('"thi tran" -hung', '"thị trấn" -hùng'),
    ],
)
def test_unaccented_query_gets_an_accented_suggestion(index_dir, typed, restored):
    engine = open_engine(index_dir)
    try:
        assert engine.search(typed).suggestion == restored
    finally:
        engine.close()


@pytest.mark.parametrize("q", ["cán bộ", "70/2009/QD-TTG", "xyzzyqq", ""])
def test_no_suggestion_when_nothing_to_restore(index_dir, q):
    engine = open_engine(index_dir)
    try:
        assert engine.search(q).suggestion is None
    finally:
        engine.close()


def test_restored_accents_rank_as_if_typed(index_dir, engine):
    with_suggester = open_engine(index_dir)
    try:
        result = with_suggester.search("nam")
    finally:
        with_suggester.close()
    assert result.suggestion == "năm"
    # "nam" matches every accent variant, ranked as if "năm" had been typed.
    typed = ids(engine.search("năm", per_page=20))
    assert [i for i in ids(result) if i in typed] == typed[: len(ids(result))]
    assert ids(result)[0] == typed[0]
    # Without the restored accents "nam" would rank differently.
    assert ids(engine.search("nam"))[0] != ids(result)[0]


def test_snippets_mark_the_accents_typed(engine):
    for hit in engine.search("cán bộ cấp xã", per_page=20).hits:
        assert ">bổ</mark>" not in hit.snippet


@pytest.mark.parametrize(
    "q, marked",
    [
        ("can bo", ["cán bộ"]),  # one word, not "bổ" (folded "bo") on its own
        ("cán bộ", ["cán bộ"]),
        ("bổ", ["bổ"]),
        ("bo", ["bổ", "bộ"]),
        ("hiểu", []),  # typed accents are required: "hiệu" is another word
        ("hieu", ["hiệu"]),
        ("cán", ["cán"]),
        ("hiệu quả", ["hiệu quả"]),
    ],
)
def test_mark_what_matched(engine, q, marked):
    text = "Việc bổ nhiệm cán bộ nâng cao hiệu quả."
    html = mark_all(text, engine.terms(q).for_text(text))
    assert re.findall(r">([^<]+)</mark>", html) == sorted(marked, key=text.index)


def test_snippets_mark_the_restored_accents(index_dir):
    with_suggester = open_engine(index_dir)
    try:
        hits = with_suggester.search("can bo cap xa", per_page=20).hits
    finally:
        with_suggester.close()
    assert all(">bổ</mark>" not in h.snippet for h in hits)
    assert all('<mark class="match' in h.snippet for h in hits)


def test_snippet_marks_folded_matches_in_the_folded_reading(engine):
    # Read with any accents, "hiểu" finds syn/hiệu, whose "hiệu" is then marked.
    result = engine.search("hiểu", per_page=20, accents="any")
    hit = next(h for h in result.hits if h.id == "syn/hiệu nhiều lần")
    assert ">hiệu</mark>" in hit.snippet


def test_query_is_capped_in_syllables():
    from search.query import MAX_QUERY_SYLLABLES

    pq = parse(" ".join(f"từ{i}" for i in range(500)) + ' "cụm từ" -bỏ')
    assert len(pq.positive_syllables) == MAX_QUERY_SYLLABLES
    assert pq.excluded == []  # everything after the cap is dropped


@pytest.fixture(scope="module")
def unhyphenated(index_with, engine_for):
    from search.article import Article

    written = Article(
        id="ref/no-hyphen",
        title="Thực hiện nghị định về chế độ thai sản",
        body="Theo Nghị định số 78/2013/NĐCP của Chính phủ, cán bộ được hưởng chế độ.",
    )
    return engine_for(index_with([written], "unhyphenated"))


@pytest.mark.parametrize("q", ["78/2013/NĐ-CP", "78/2013/ND-CP", "78/2013/nđ-cp", "78/2013/NĐCP"])
def test_a_reference_printed_without_its_hyphen_is_found(unhyphenated, q):
    assert ids(unhyphenated.search(q)) == ["ref/no-hyphen"]
    assert "ref/no-hyphen" not in unhyphenated.match_ids(f"cán bộ -{q}")
