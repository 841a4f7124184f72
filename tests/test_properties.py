"""Property-based tests (hypothesis): normalisation, folding, queries, round trips."""
import datetime as dt
import string
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.analysis import analyze, canonical, fold, normalize_text
from search.article import Article
from search.engine import Engine
from search.highlight import Terms
from search.index import open_for_writing, write_batches
from search.policy import PolicyRef
from search.query import parse
from search.segment import segment

VIETNAMESE = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
ALPHABET = VIETNAMESE + VIETNAMESE.upper() + "ÐðĐ" + string.ascii_letters + string.digits + \
    " \u00a0\u200b\u0300\u0301\u0303\u0309\u0323/-.,\"()*:" + "\n"
vn_text = st.text(alphabet=ALPHABET, max_size=80)
any_text = st.text(max_size=80)
texts = st.one_of(vn_text, any_text)


@given(texts)
def test_normalize_is_idempotent(s):
    assert normalize_text(normalize_text(s)) == normalize_text(s)


@given(texts)
def test_normalize_is_nfc(s):
    assert unicodedata.is_normalized("NFC", normalize_text(s))


@given(texts)
def test_canonical_is_idempotent(s):
    assert canonical(canonical(s)) == canonical(s)


@given(texts)
def test_fold_is_idempotent(s):
    assert fold(fold(s)) == fold(s)


@given(vn_text)
def test_folded_vietnamese_is_ascii(s):
    assert all(t.isascii() for t in analyze(s))


@given(vn_text)
def test_nfc_and_nfd_analyse_alike(s):
    assert analyze(unicodedata.normalize("NFD", s)) == analyze(unicodedata.normalize("NFC", s))
    assert analyze(unicodedata.normalize("NFD", s), fold=False) == \
        analyze(unicodedata.normalize("NFC", s), fold=False)


@given(texts)
def test_any_string_parses(s):
    pq = parse(s)
    assert isinstance(pq.positive_syllables, list)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=texts)
def test_any_string_is_a_valid_query(engine, q):
    result = engine.search(q)
    assert result.total >= 0
    assert len(result.hits) <= result.per_page


articles = st.builds(
    Article,
    id=st.text(min_size=1, max_size=40).filter(lambda s: s.strip() == s and s),
    title=vn_text, lead=vn_text, body=vn_text,
    captions=st.lists(vn_text, max_size=3),
    policy_refs=st.lists(st.builds(PolicyRef, ref=vn_text, kind=st.none() | vn_text,
                                   key=vn_text), max_size=2),
    date=st.none() | st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)),
    author=st.none() | vn_text, outlet=st.none() | vn_text,
    url=st.none() | st.just("https://baodienbienphu.info.vn/tin/1"),
    urls=st.lists(st.just("https://example.vn/a"), max_size=2),
    province=st.none() | st.sampled_from(["Điện Biên", "Lạng Sơn", "Hà Nội"]),
    province_2025=st.none() | st.sampled_from(["Điện Biên", "Lạng Sơn", "Hà Nội"]),
    district=st.none() | vn_text, commune=st.none() | vn_text,
    topics=st.lists(st.sampled_from(["Tổ chức cán bộ", "Kinh tế", "Giảm nghèo"]), max_size=3,
                    unique=True),
    source_path=st.none() | st.just("seeds/x.txt"),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(article=articles)
def test_any_article_round_trips_through_the_index(tmp_path_factory, article):
    d = tmp_path_factory.mktemp("rt")
    ix, _ = open_for_writing(d)
    for _ in write_batches(ix, [(article, segment(article.text()))]):
        pass
    engine = Engine(d)
    try:
        assert engine.article(article.id).to_dict() == article.to_dict()
        assert engine.search("").total == 1
    finally:
        engine.close()


# --- the fast paths agree with the Whoosh analyzers they replace ---------------

@given(texts)
def test_fast_analysis_equals_the_analyzer_chain(s):
    from search.analysis import VietnameseAnalyzer
    for folded in (True, False):
        assert analyze(s, fold=folded) == [t.text for t in VietnameseAnalyzer(fold=folded)(s)]


@given(vn_text, st.lists(st.sampled_from(["hòa", "thủy", "cán", "bộ", "2", "đ", "khỏe", "xã"]),
                         min_size=1, max_size=3), st.booleans())
def test_marked_syllables_are_the_analysed_ones(s, words, exact):
    # Snippets find matches with one regex over the folded text; every marked
    # span must be a syllable the index analysis would match, and none missed.
    from search.analysis import syllables
    from search.highlight import Terms, _matches, _SYLLABLE_RE
    text = normalize_text(s)
    terms = Terms(folded=frozenset(fold(w) for w in words),
                  exact=frozenset(words) if exact else frozenset())
    wanted, key = (terms.exact, lambda t: syllables(t)[0]) if exact else \
        (terms.folded, lambda t: analyze(t)[0])
    expected = [(m.start(), m.end()) for m in _SYLLABLE_RE.finditer(text)
                if key(m.group()) in wanted]
    assert [(t.startchar, t.endchar) for t in _matches(text, terms)] == expected


@pytest.mark.parametrize("text,terms,marked", [
    # Old and new tone placement, any case, are the same exact word.
    ("Chan hoà, Hòa bình, HOÀ giải, hoa", Terms(frozenset({"hoa"}), frozenset({"hòa"})),
     ["hoà", "Hòa", "HOÀ"]),
    ("Thuỷ lợi, thủy sản, thuy", Terms(frozenset({"thuy"}), frozenset({"thủy"})),
     ["Thuỷ", "thủy"]),
    # Folded: every accented form, đ included.
    ("Đảng, đang, dang, dáng", Terms(frozenset({"dang"})), ["Đảng", "đang", "dang", "dáng"]),
    # Whole syllables only: not inside a word, not a part of a decimal number.
    ("2.200 người, 2 xã, 12 thôn, x2", Terms(frozenset({"2"})), ["2"]),
    # "_" separates syllables, as in the index ("cán_bộ" is pyvi's spelling).
    ("cán bộ, cánbộ, cán_bộ", Terms(frozenset({"can"})), ["cán", "cán"]),
])
def test_marked_spans(text, terms, marked):
    from search.highlight import _matches
    assert [text[t.startchar:t.endchar] for t in _matches(text, terms)] == marked
