"""Property-based tests (hypothesis): normalisation, folding, queries, round trips."""

import datetime as dt
import string
import unicodedata
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.analysis import FOLD_TABLE, analyze, canonical, fold, fold_chars, normalize_text
from search.article import Article
from search.backends.whoosh_index import open_for_writing
from search.backends.whoosh_writing import write_batches
from search.engine import Engine
from search.highlight import Terms
from search.policy import PolicyRef
from search.query import parse
from search.segment import segment

VIETNAMESE = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
ALPHABET = (
    VIETNAMESE
    + VIETNAMESE.upper()
    + "ÐðĐ"
    + string.ascii_letters
    + string.digits
    + ' \u00a0\u200b\u0300\u0301\u0303\u0309\u0323/-.,"()*:'
    + "\n"
)
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


long_texts = st.one_of(
    st.text(alphabet=ALPHABET, min_size=200, max_size=2000),
    st.text(min_size=200, max_size=2000),
)


@given(st.one_of(texts, long_texts))
def test_fold_chars_is_the_fold_table(s):
    # Long texts are folded through an array: the same characters as str.translate.
    assert fold_chars(s) == s.translate(FOLD_TABLE)


@pytest.mark.parametrize("s", ["Đà Nẵng \ud800 " * 40, "𝔸 hòa 😀 " * 60, "ǅ ŉ ﬁ ß Ø " * 50])
def test_fold_chars_of_odd_long_texts(s):
    assert fold_chars(s) == s.translate(FOLD_TABLE) and len(fold_chars(s)) == len(s)


@given(texts)
def test_fold_is_idempotent(s):
    assert fold(fold(s)) == fold(s)


@given(vn_text)
def test_folded_vietnamese_is_ascii(s):
    assert all(t.isascii() for t in analyze(s))


@given(vn_text)
def test_nfc_and_nfd_analyse_alike(s):
    assert analyze(unicodedata.normalize("NFD", s)) == analyze(unicodedata.normalize("NFC", s))
    assert analyze(unicodedata.normalize("NFD", s), fold=False) == analyze(
        unicodedata.normalize("NFC", s), fold=False
    )


@given(texts)
def test_any_string_parses(s):
    pq = parse(s)
    assert isinstance(pq.positive_syllables, list)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=texts)
def test_any_string_is_a_valid_query(engine, q):
    result = engine.search(q)
    assert result.total >= 0
    assert len(result.hits) <= result.per_page


articles = st.builds(
    Article,
    id=st.text(min_size=1, max_size=40).filter(lambda s: s.strip() == s and s),
    title=vn_text,
    lead=vn_text,
    body=vn_text,
    captions=st.lists(vn_text, max_size=3),
    policy_refs=st.lists(
        st.builds(PolicyRef, ref=vn_text, kind=st.none() | vn_text, key=vn_text), max_size=2
    ),
    date=st.none() | st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)),
    author=st.none() | vn_text,
    outlet=st.none() | vn_text,
    url=st.none() | st.just("https://baodienbienphu.info.vn/tin/1"),
    urls=st.lists(st.just("https://example.vn/a"), max_size=2),
    province=st.none() | st.sampled_from(["Điện Biên", "Lạng Sơn", "Hà Nội"]),
    province_2025=st.none() | st.sampled_from(["Điện Biên", "Lạng Sơn", "Hà Nội"]),
    district=st.none() | vn_text,
    commune=st.none() | vn_text,
    topics=st.lists(
        st.sampled_from(["Tổ chức cán bộ", "Kinh tế", "Giảm nghèo"]), max_size=3, unique=True
    ),
    source_path=st.none() | st.just("seeds/x.txt"),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
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
    from search.backends.whoosh_analysis import VietnameseAnalyzer

    for folded in (True, False):
        assert analyze(s, fold=folded) == [t.text for t in VietnameseAnalyzer(fold=folded)(s)]


def _word(syllables: str, exact: bool) -> tuple:
    from search.analysis import canonical_syllable

    return tuple((canonical_syllable(w) if exact else fold(w), exact) for w in syllables.split())


@given(
    vn_text,
    st.lists(
        st.sampled_from(
            ["hòa", "thủy", "cán", "bộ", "2", "đ", "khỏe", "xã", "cán bộ", "hòa đồng", "xã xã"]
        ),
        min_size=1,
        max_size=3,
    ),
    st.booleans(),
)
def test_marked_words_are_the_analysed_ones(s, words, exact):
    # Snippets find matches with one regex over the folded text; every marked
    # span must be a run of syllables the index analysis would match as the
    # word, and none missed (scanning left to right, as a phrase query does).
    from search.analysis import syllables
    from search.highlight import _SYLLABLE_RE, MAX_SEPARATOR, Terms, _matches

    text = normalize_text(s)
    patterns = tuple(dict.fromkeys(_word(w, exact) for w in words))
    terms = Terms(patterns)
    key = (lambda t: syllables(t)[0]) if exact else (lambda t: analyze(t)[0])
    tokens = [(m.start(), m.end(), key(m.group())) for m in _SYLLABLE_RE.finditer(text)]
    expected, i = [], 0
    while i < len(tokens):
        for p in sorted(patterns, key=len, reverse=True):
            run = tokens[i : i + len(p)]
            if (
                len(run) == len(p)
                and all(t[2] == k for t, (k, _) in zip(run, p))
                and all(b[0] - a[1] <= MAX_SEPARATOR for a, b in pairwise(run))
            ):
                expected.append((run[0][0], run[-1][1]))
                i += len(p) - 1
                break
        i += 1
    assert [(t.startchar, t.endchar) for t in _matches(text, terms)] == expected


@pytest.mark.parametrize(
    "text,terms,marked",
    [
        # Old and new tone placement, any case, are the same exact word.
        ("Chan hoà, Hòa bình, HOÀ giải, hoa", Terms((_word("hòa", True),)), ["hoà", "Hòa", "HOÀ"]),
        ("Thuỷ lợi, thủy sản, thuy", Terms((_word("thủy", True),)), ["Thuỷ", "thủy"]),
        # Folded: every accented form, đ included.
        (
            "Đảng, đang, dang, dáng",
            Terms((_word("dang", False),)),
            ["Đảng", "đang", "dang", "dáng"],
        ),
        # Whole syllables only: not inside a word, not a part of a decimal number.
        ("2.200 người, 2 xã, 12 thôn, x2", Terms((_word("2", False),)), ["2"]),
        # "_" separates syllables, as in the index ("cán_bộ" is pyvi's spelling).
        ("cán bộ, cánbộ, cán_bộ", Terms((_word("can", False),)), ["cán", "cán"]),
        # A word is marked whole, where its syllables stand next to each other.
        (
            "Khánh Hòa giải đáp; hòa giải; hoà  giải; hóa giải",
            Terms((_word("hòa giải", True),)),
            ["Hòa giải", "hòa giải", "hoà  giải"],
        ),
        (
            "văn hoá giải trí, nông thôn mới, thôn",
            Terms((_word("nong thon", False),)),
            ["nông thôn"],
        ),
        # A match inside a word is passed over; one may start inside its span.
        ("ban an nan", Terms((_word("an", False),)), ["an"]),
        ("ca b a b", Terms((_word("a b", False),)), ["a b"]),
        ("2,5 5 x5", Terms((_word("5", False),)), ["5"]),
    ],
)
def test_marked_spans(text, terms, marked):
    from search.highlight import _matches

    assert [text[t.startchar : t.endchar] for t in _matches(text, terms)] == marked


# A Whoosh block's data as W3 pickles it: (delta ids, weights, values), protocol 2.
_VALUE = st.one_of(
    st.binary(min_size=1, max_size=12),
    st.sampled_from([b"c_codecs\nencode\n", b"(", b"(c_codecs\nencode\n", b"\x86.", b"X"]),
)


@st.composite
def _blocks(draw):
    n = draw(st.integers(1, 140))
    ids = tuple(draw(st.lists(st.integers(0, 2**31 - 1), min_size=n, max_size=n)))
    floats = st.floats(allow_nan=False, width=32)
    weights = draw(
        st.one_of(st.none(), floats, st.lists(floats, min_size=n, max_size=n).map(tuple))
    )
    values = draw(
        st.one_of(
            st.lists(_VALUE, min_size=n, max_size=n).map(tuple),
            st.none(),
            st.binary(min_size=4 * n, max_size=4 * n),  # a fixed-size format's joined values
        )
    )
    return ids, weights, values


@pytest.mark.parametrize("codec", ["whoosh", "compact"])
@given(block=_blocks(), level=st.sampled_from([None, 1, 6, 9]))
def test_a_whoosh_blocks_values_are_set_apart_exactly(codec, block, level):
    """search/backends/whoosh_postings.py unpickles a block's ids and weights alone and
    its values later (inflating a compressed block only as far as its values, at first)
    where Whoosh's codec wrote it (protocol 2), the whole block where CompactCodec did
    (protocol 3); it reads the same tuple as pickle.loads, whatever the values hold."""
    import pickle
    import zlib

    from search.backends.whoosh_codec import dumps
    from search.backends.whoosh_postings import BlockValues, _ids_and_weights, _Pickled

    ids, weights, values = block
    data = pickle.dumps(block, 2) if codec == "whoosh" else dumps(block)
    assert pickle.loads(data) == block
    if level is None:
        got = _ids_and_weights(data, len(ids))
    else:
        got = _ids_and_weights(zlib.compress(data, level), len(ids), compressed=True)
    assert got[:2] == (ids, weights)
    later = got[2]
    if isinstance(later, _Pickled):
        assert codec == "whoosh"
        assert later.whole() == data
        assert later.values() == pickle.loads(data)[2]
        later = later.values()
    assert later == values
    if isinstance(values, tuple):
        lazy = BlockValues()
        lazy.add(got[2], len(ids))
        assert list(lazy) == list(values)
        picked = sorted(set(range(0, len(ids), 3)) | {len(ids) - 1})
        assert lazy.take(picked) == [values[j] for j in picked]
