"""search.scoring against Whoosh itself, on a real index of several segments with deletions."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3Codec

import search.backends.whoosh_writing
from search.article import Article
from search.backends.schema import SCHEMA, prepared_fields
from search.backends.whoosh import WhooshReader
from search.backends.whoosh_cache import read_postings as postings
from search.backends.whoosh_fields import CompactPositions, RelativePositions, encoded
from search.backends.whoosh_index import open_for_writing, open_index
from search.backends.whoosh_postings import RelativePostings
from search.backends.whoosh_writing import optimize, write_batches
from search.plan import ScoreTerm
from search.scoring import (
    Lengths,
    bm25,
    decode_positions,
    decode_relative,
    intersect_sorted,
    key_docs,
    key_positions,
    phrase_ids,
    phrase_keys,
    top,
)
from search.stored import load_article

WORDS = [
    "cán",
    "bộ",
    "cấp",
    "xã",
    "huyện",
    "tỉnh",
    "hòa",
    "hoà",
    "đồng",
    "dân",
    "năm",
    "nam",
    "thủy",
    "lợi",
    "Điện",
    "Biên",
    "quy",
    "định",
]


def _article(i: int, rng: random.Random) -> Article:
    body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 60)))
    return Article(
        id=f"a{i}", title=" ".join(rng.sample(WORDS, 4)), body=body, content_hash=f"h{i}"
    )


def _segmented(d, codec=None):
    """600 articles written in batches of 150 (several segments, blocks of 128
    postings), then 80 of them rewritten (deleted documents in old segments);
    ``codec`` in place of vnsearch's while they are written."""
    with pytest.MonkeyPatch.context() as mp:
        if codec is not None:
            mp.setattr(search.backends.whoosh_writing, "CompactCodec", codec)
        _write_segmented(d)
    ix = open_index(d)
    with ix.searcher() as s:
        assert len(s.leaf_searchers()) > 1 and s.reader().has_deletions()
        yield s


def _write_segmented(d):
    rng = random.Random(7)
    ix, _ = open_for_writing(d)
    items = [(_article(i, rng), "") for i in range(600)]
    for _ in write_batches(ix, items, batch_size=150):
        pass
    again = [(_article(i, rng), "") for i in rng.sample(range(600), 80)]
    for _ in write_batches(open_index(d), again, batch_size=40):
        pass


@pytest.fixture(scope="module")
def segmented(tmp_path_factory):
    """The index of :func:`_segmented`, written as vnsearch writes (CompactCodec)."""
    yield from _segmented(tmp_path_factory.mktemp("segmented"))


@pytest.fixture(scope="module")
def stock_segmented(tmp_path_factory):
    """The same index written by Whoosh's own codec: as vnsearch wrote before
    CompactCodec, and as Whoosh itself writes. The codec is patched only while
    it is written: a module-long patch would also write ``segmented``, when
    that is made later."""
    yield from _segmented(tmp_path_factory.mktemp("stock"), W3Codec)


def _terms(searcher, field):
    return [t for t in searcher.reader().field_terms(field)]


@pytest.fixture(params=["compact", "stock"])
def either(request):
    """The segmented index as vnsearch writes it, and as Whoosh's own codec does."""
    return request.getfixturevalue("segmented" if request.param == "compact" else "stock_segmented")


@pytest.mark.parametrize("field", ["text", "title", "exact", "words", "id"])
def test_postings_equal_whooshs_own(either, field):
    segmented = either
    live = np.zeros(segmented.doc_count_all(), dtype=bool)
    live[list(segmented.reader().all_doc_ids())] = True
    terms = _terms(segmented, field)
    assert terms or field == "words"  # no pyvi words were given
    for text in terms:
        p = postings(segmented, field, text)
        ids, weights = p.ids, p.weights
        keep = live[ids]
        m = segmented.postings(field, text)  # Whoosh's matcher skips deleted documents
        expected = []
        while m.is_active():
            expected.append((m.id(), m.weight()))
            m.next()
        got = sorted(zip(ids[keep].tolist(), weights[keep].tolist()))
        assert [d for d, _ in got] == [d for d, _ in expected], (field, text)
        assert [w for _, w in got] == pytest.approx([w for _, w in expected]), (field, text)


def test_common_terms_span_several_blocks(segmented):
    p = postings(segmented, "text", "can")
    assert len(p) > 300 and len(p.values) == len(p)  # more than two blocks of 128 in some segment


def test_missing_term_is_empty(segmented):
    p = postings(segmented, "text", "khongcotu")
    assert len(p.ids) == 0 and len(p.weights) == 0 and p.values == []


@pytest.mark.parametrize(
    "words",
    [
        ["can", "bo"],
        ["hoa", "dong"],
        ["dien", "bien"],
        ["cap", "xa", "huyen"],
        ["can", "bo", "cap", "xa"],
        ["nam", "nam", "nam"],
        ["nam", "nam"],
        ["quy"],
    ],
)
@pytest.mark.parametrize("field", ["text", "title"])
@pytest.mark.parametrize("every", [1, 3])
def test_phrase_ids_equal_whooshs_phrase(segmented, words, field, every):
    # Whoosh's matcher skips deleted documents; the engine masks them later.
    live = set(segmented.reader().all_doc_ids())
    within = np.array(sorted(live)[::every], dtype=np.int64)
    q = wq.Phrase(field, words) if len(words) > 1 else wq.Term(field, words[0])
    expected = set(segmented.docs_for_query(q)) & set(within.tolist())
    found = phrase_ids([postings(segmented, field, w) for w in words], within)
    assert set(found.tolist()) == expected


@pytest.mark.parametrize("words", [["hòa", "đồng"], ["cán", "bộ", "cấp"], ["điện", "biên"]])
def test_exact_and_folded_positions_line_up(segmented, words):
    # A word may mix exact and folded syllables: both fields number alike.
    from search.analysis import fold

    live = np.array(sorted(segmented.reader().all_doc_ids()), dtype=np.int64)
    exact = phrase_ids([postings(segmented, "exact", w) for w in words], live)
    mixed = phrase_ids(
        [postings(segmented, "exact", words[0])]
        + [postings(segmented, "text", fold(w)) for w in words[1:]],
        live,
    )
    folded = phrase_ids([postings(segmented, "text", fold(w)) for w in words], live)
    assert set(exact.tolist()) <= set(mixed.tolist()) <= set(folded.tolist())
    assert len(exact) > 0


@pytest.mark.parametrize("text", ["năm", "nam", "hòa", "cán", "điện", "xã", "quy"])
def test_exact_positions_are_those_of_the_articles(segmented, text):
    # Without accents stored relative to the folded syllable's, with accents
    # as they are: read back as the analysis gave them, in every segment,
    # deleted documents included.
    p = postings(segmented, "exact", text)
    assert len(p) and isinstance(p, RelativePostings) == (text in ("nam", "quy"))
    owners, found = p.positions(list(range(len(p))))
    got: dict[int, list[int]] = {}
    for o, pos in zip(owners.tolist(), found.tolist()):
        got.setdefault(int(p.ids[o]), []).append(pos)
    want = {}
    for d in range(segmented.reader().doc_count_all()):
        article = load_article(segmented.reader().stored_fields(d))
        for w, _, _, pos in prepared_fields(article, "")["exact"]:
            if w.decode("utf-8") == text:
                want[d] = list(pos)
    assert got == want
    # A selection reads the same as the whole.
    sel = list(range(0, len(p), 3))
    owners, found = p.positions(sel)
    assert [(int(p.ids[sel[o]]), pos) for o, pos in zip(owners.tolist(), found.tolist())] == [
        (d, pos) for d in sorted(want) if d in set(p.ids[sel].tolist()) for pos in want[d]
    ]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(0, 3000), min_size=1, max_size=40, unique=True).flatmap(
            lambda base: st.tuples(
                st.just(sorted(base)),
                st.lists(st.sampled_from(sorted(base)), min_size=1, unique=True).map(sorted),
            )
        ),
        min_size=1,
        max_size=8,
    )
)
def test_relative_positions_decode_to_the_subset(pairs):
    # Several postings at once, each a folded list and the exact form's part of it.
    values = [RelativePositions.encode_relative(sub, base) for base, sub in pairs]
    for v, (base, sub) in zip(values, pairs):
        assert v == b"=" if sub == base else len(v) == 1 + (len(base) + 7) // 8
    owners = np.repeat(np.arange(len(pairs)), [len(base) for base, _ in pairs])
    positions = np.array([p for base, _ in pairs for p in base], dtype=np.int64)
    got_owners, got = decode_relative(values, owners, positions)
    want = [(k, p) for k, (_, sub) in enumerate(pairs) for p in sub]
    assert list(zip(got_owners.tolist(), got.tolist())) == want


@pytest.mark.parametrize("value", [b"", b"x", b"=\x01", b"~", b"~\x01\x00", b"B\x01"], ids=repr)
def test_a_damaged_relative_value_is_refused(value):
    # The folded term has 3 positions in the document: "=" or "~" and one byte.
    with pytest.raises(ValueError, match="exact posting does not fit"):
        decode_relative([value], np.zeros(3, dtype=np.int64), np.array([1, 5, 9]))


def test_an_exact_posting_without_its_folded_one_is_refused(segmented):
    # Read against another syllable's postings (as a damaged index would make
    # them): an error of the read, which the engine reports as damage.
    p = postings(segmented, "exact", "nam")
    other = postings(segmented, "text", "xa")
    mismatched = RelativePostings(p, lambda: other)
    missing = np.setdiff1d(p.ids, other.ids)
    assert len(missing)
    with pytest.raises(ValueError, match="no folded posting"):
        mismatched.positions([int(np.searchsorted(p.ids, missing[0]))])


def test_relative_values_are_refused_where_positions_are_read_alone():
    # Whoosh's own phrase queries cannot read them; accented values read as ever.
    fmt = SCHEMA["exact"].format
    with pytest.raises(TypeError):
        fmt.decode_positions(b"=")
    assert fmt.decode_positions(CompactPositions.encode([3, 9])) == [3, 9]


def test_xapian_takes_the_exact_field_encoded_for_whoosh_as_it_is():
    # The same document either way: no positions for exact terms without accents.
    xb = pytest.importorskip("search.backends.xapian")
    if xb.xapian is None:
        pytest.skip("the xapian extra is not installed")
    fields = prepared_fields(Article(id="a", title="Hòa nam", body="năm nam hòa hoa nam"), "")
    docs = []
    for value in (fields["exact"], encoded(fields)["exact"]):
        doc = xb.xapian.Document()
        xb._add_terms(doc, {"exact": value})
        docs.append([(t.term, t.wdf, list(t.positer)) for t in doc.termlist()])
    assert (
        docs[0] == docs[1]
        and (b"E:nam", 3, []) in docs[0]
        and (b"E:h\xc3\xb2a", 2, [0, 6]) in docs[0]
    )


@pytest.mark.parametrize(
    "positions", [[0], [3, 4, 5], [1, 300], [7, 70000, 70001], list(range(0, 5000, 7)), [2**31]]
)
def test_decode_positions_equal_the_format(positions):
    values = [
        CompactPositions.encode(positions),
        CompactPositions.encode([5, 6]),
        CompactPositions.encode(positions),
    ]
    owners, found = decode_positions(values)
    # In posting and position order, whatever the widths of the postings' deltas.
    want = [(i, p) for i, v in enumerate(values) for p in CompactPositions.decode_positions(v)]
    assert list(zip(owners.tolist(), found.tolist())) == want


def test_phrase_keys_give_documents_and_start_positions(segmented):
    p = [postings(segmented, "text", w) for w in ("can", "bo")]
    keys = phrase_keys(p)
    decode = CompactPositions.decode_positions
    for d, pos in list(zip(key_docs(keys).tolist(), key_positions(keys).tolist()))[:50]:
        first = p[0].values[int(np.searchsorted(p[0].ids, d))]
        second = p[1].values[int(np.searchsorted(p[1].ids, d))]
        assert pos in decode(first) and pos + 1 in decode(second)


@pytest.mark.parametrize(
    "scores, allowed, k, expected",
    [
        ([1, 3, 2, 3], [1, 1, 1, 1], 2, [(1, 3.0), (3, 3.0)]),
        # Ties with the k-th score are broken by document number, not by partition order.
        ([5, 1, 1, 1, 1, 1], [1] * 6, 3, [(0, 5.0), (1, 1.0), (2, 1.0)]),
        ([1, 3, 2, 3], [1, 0, 1, 1], 2, [(3, 3.0), (2, 2.0)]),
        ([1, 3], [1, 1], 5, [(1, 3.0), (0, 1.0)]),
        ([1, 3], [0, 0], 5, []),
        ([1, 3], [1, 1], 0, []),
    ],
)
def test_top(scores, allowed, k, expected):
    assert top(np.array(scores, dtype=np.float32), np.array(allowed, dtype=bool), k) == expected


def test_bm25_prefers_rare_terms_and_short_documents(segmented):
    lengths = Lengths(WhooshReader(None, segmented))  # type: ignore[arg-type]  # no path read
    n = segmented.doc_count_all()
    one = np.array([1.0], dtype=np.float32)
    short, long_ = int(np.argmin(lengths.values)), int(np.argmax(lengths.values))
    term = ScoreTerm("text", "x")
    common = bm25(np.arange(n // 2), np.ones(n // 2, dtype=np.float32), n, lengths, term)
    rare = bm25(np.array([short]), one, n, lengths, term)
    assert rare[0] > common.max()
    assert (
        bm25(np.array([short]), one, n, lengths, term)[0]
        > bm25(np.array([long_]), one, n, lengths, term)[0]
    )
    boosted = bm25(np.array([short]), one, n, lengths, ScoreTerm("text", "x", boost=2.0))
    assert boosted[0] == pytest.approx(2 * rare[0])


@pytest.mark.parametrize("field,text", [("text", "can"), ("exact", "cán"), ("title", "xa")])
def test_the_posting_by_posting_fallback_reads_what_the_block_reader_reads(segmented, field, text):
    """search/backends/whoosh.py reads W3 blocks whole; another codec's matcher (here
    Whoosh's own ListMatcher over the same postings) is read one posting at a time."""
    from whoosh.matching import ListMatcher

    from search.backends.whoosh_postings import _blocks, _one_by_one

    for leaf, _ in segmented.leaf_searchers():
        r = leaf.reader()
        if (field, text) not in r:
            continue
        fmt = r.schema[field].format
        m = r.postings(field, text)
        m = getattr(m, "child", m)  # deletions: the filter's child holds the blocks
        ids, weights, lazy, where = _blocks(m, True)
        assert len(where) == -(-len(np.concatenate(ids)) // 128)  # a location per block
        ids, weights, values = (
            np.concatenate(ids).tolist(),
            np.concatenate(weights).tolist(),
            list(lazy),
        )
        plain = ListMatcher(ids, weights, values, format=fmt)
        ids2, weights2, values2, nowhere = _one_by_one(plain, True)
        assert nowhere is None
        assert (ids, weights, values) == (
            np.concatenate(ids2).tolist(),
            np.concatenate(weights2).tolist(),
            list(values2),
        )
        assert len(ids) > 5


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("sizes", [(0, 5), (5, 0), (1, 1), (40, 3000), (3000, 40), (500, 500)])
def test_intersect_sorted_is_numpys_intersect1d(seed, sizes):
    rng = np.random.default_rng(seed)
    a, b = (np.unique(rng.integers(0, 2 * max(sizes) + 2, n)) for n in sizes)
    got = intersect_sorted(a, b)
    assert got.tolist() == np.intersect1d(a, b).tolist()


def test_postings_keep_whooshs_positions(segmented):
    # Blocks after the first are read by search/backends/whoosh.py itself.
    for text in _terms(segmented, "text"):
        p = postings(segmented, "text", text)
        got = dict(zip(p.ids.tolist(), p.values))
        m = segmented.postings("text", text)
        while m.is_active():
            assert got[m.id()] == m.value(), text
            m.next()


def test_positions_stay_lists_until_whoosh_encodes_them():
    # The analysis keeps positions as lists (the Xapian writer adds them as they
    # are); Whoosh's field, or the worker for a Whoosh index, encodes them.
    from search.backends import worker_fields
    from search.backends.schema import SCHEMA
    from search.backends.whoosh_fields import AnalysedTerms, PositionedTerms, analysed_terms

    terms = analysed_terms(SCHEMA["text"], ["can", "bo", None, "can"])
    assert isinstance(terms, PositionedTerms)
    assert sorted(terms) == [(b"bo", 1, 1.0, [1]), (b"can", 2, 2.0, [0, 3])]
    expected = sorted((w, n, f, CompactPositions.encode(p)) for w, n, f, p in terms)
    assert sorted(SCHEMA["text"].index(terms)) == expected
    ready = worker_fields("whoosh", {"text": terms, "id": "a1"})
    assert isinstance(ready["text"], AnalysedTerms) and sorted(ready["text"]) == expected
    assert ready["id"] == "a1"


def test_most_blocks_leave_their_positions_pickled_until_asked(stock_segmented):
    # Whoosh's own blocks (protocol 2) keep their values pickled until a phrase asks.
    from search.backends.whoosh_postings import BlockValues, _Pickled

    p = postings(stock_segmented, "text", "can")
    assert isinstance(p.values, BlockValues)
    pickled = [part for part in p.values._parts if isinstance(part, _Pickled)]
    assert len(pickled) >= 2
    # Whoosh compresses full blocks: they stay compressed, inflated only up to their values.
    assert any(part.compressed and len(part.data) < len(part.whole()) for part in pickled)
    p.values.take(list(range(len(p))))
    assert not any(isinstance(part, _Pickled) for part in p.values._parts)


def _all_postings(searcher, field: str) -> dict:
    """(term, document number) -> (weight, value or None) of every posting of ``field``,
    deleted documents included, read block by block (search/backends/whoosh_postings.py)."""
    from search.backends.whoosh_postings import segment_postings

    positional = SCHEMA[field].format.supports("positions")
    out = {}
    for text in _terms(searcher, field):
        for leaf, offset in searcher.leaf_searchers():
            r = leaf.reader()
            if (field, text) not in r:
                continue
            ids, weights, values, _ = segment_postings(r.postings(field, text), True)
            if not ids:  # a term of deleted documents only
                continue
            n = len(ids[0])
            kept = values.take(list(range(n))) if positional else [None] * n
            for i, w, v in zip(ids[0].tolist(), weights[0].tolist(), kept):
                out[(text, offset + i)] = (w, v)
    return out


@pytest.mark.parametrize("field", ["text", "title", "exact", "id"])
def test_compact_blocks_read_as_whooshs_own(segmented, stock_segmented, field):
    # The same articles through either codec: the same postings, values included
    # (compared whole: an exact term without accents is read here for its own
    # value, not through its folded term).
    compact = _all_postings(segmented, field)
    assert compact and compact == _all_postings(stock_segmented, field)


def test_an_index_written_by_whoosh_then_by_vnsearch_reads_the_same(tmp_path):
    # An index from before CompactCodec, written to and merged by this version.
    rng = random.Random(11)
    first = [(_article(i, rng), "") for i in range(200)]
    then = [(_article(i, rng), "") for i in range(150, 300)]  # 50 of them replaced

    def build(d, stock_first: bool) -> tuple[dict, dict]:
        ix, _ = open_for_writing(d)
        with pytest.MonkeyPatch.context() as mp:
            if stock_first:
                mp.setattr(search.backends.whoosh_writing, "CompactCodec", W3Codec)
            for _ in write_batches(ix, first, batch_size=200):
                pass
        for _ in write_batches(open_index(d), then, batch_size=150):
            pass
        with open_index(d).searcher() as s:
            before = {f: _all_postings(s, f) for f in ("text", "exact")}
        optimize(d)
        with open_index(d).searcher() as s:
            assert len(s.leaf_searchers()) == 1 and not s.reader().has_deletions()
            after = {f: _all_postings(s, f) for f in ("text", "exact")}
        return before, after

    mixed, merged = build(tmp_path / "mixed", True)
    assert (mixed, merged) == build(tmp_path / "compact", False)
    assert len(merged["text"]) < len(mixed["text"])  # the replaced articles' postings are gone


def test_compact_blocks_take_fewer_bytes(segmented, stock_segmented):
    def postings_bytes(searcher):
        total = 0
        for leaf, _ in searcher.leaf_searchers():
            r = leaf.reader()
            total += r.storage().file_length(r.segment().make_filename(".pst"))
        return total

    compact, stock = postings_bytes(segmented), postings_bytes(stock_segmented)
    assert compact < 0.7 * stock, (compact, stock)


@pytest.mark.parametrize("seed", range(4))
def test_positions_of_some_postings_across_blocks_and_segments(either, seed):
    segmented = either
    rng = random.Random(seed)
    for text in ("can", "bo", "xa"):
        p = postings(segmented, "text", text)
        sel = sorted(rng.sample(range(len(p)), rng.randint(1, len(p))))
        want = decode_positions(
            [
                CompactPositions.encode(_whoosh_positions(segmented, text)[d])
                for d in p.ids[sel].tolist()
            ]
        )
        owner, pos = p.positions(sel)
        assert (owner.tolist(), pos.tolist()) == (want[0].tolist(), want[1].tolist())


def _whoosh_positions(searcher, text: str) -> dict[int, list[int]]:
    """Whoosh's own positions of ``text:`` per document number (deleted ones too)."""
    out = {}
    for leaf, offset in searcher.leaf_searchers():
        r = leaf.reader()
        if ("text", text) not in r:
            continue
        m = r.postings("text", text)
        m = getattr(m, "child", m)
        while m.is_active():
            out[m.id() + offset] = m.value_as("positions")
            m.next()
    return out


@pytest.fixture(scope="module")
def random_engine(tmp_path_factory):
    """An engine over 600 random articles of WORDS (several segments, with deletions)."""
    from search.engine import Engine

    d = tmp_path_factory.mktemp("random_engine")
    rng = random.Random(11)
    ix, _ = open_for_writing(d)
    for _ in write_batches(ix, [(_article(i, rng), "") for i in range(600)], batch_size=150):
        pass
    again = [(_article(i, rng), "") for i in rng.sample(range(600), 80)]
    for _ in write_batches(open_index(d), again, batch_size=40):
        pass
    engine = Engine(d)
    yield engine
    engine.close_all()


def _recall_everywhere(plan, cols, cache) -> np.ndarray:
    """The plan's matches with every word looked for over the whole index (no narrowing)."""
    from search.matching import word_ids

    matched = cols.live.copy()
    if plan.clauses:
        counts = np.zeros(cols.size, dtype=np.int16)
        for clause in plan.required:
            m = np.zeros(cols.size, dtype=bool)
            for word in clause:
                m[word_ids(cache, word)] = True
            counts += m
        matched = counts >= plan.min_match
    for word in plan.excluded:
        matched[word_ids(cache, word)] = False
    return matched & cols.live


@pytest.mark.parametrize(
    "q",
    [
        "cán bộ cấp xã",
        '"cán bộ" "cấp xã" huyện',
        '"điện biên" "thủy lợi" -"quy định"',
        "hòa đồng dân",
        "hoa dong dan nam",
        "cán bộ -xã",
        # Long and question queries are relaxed: half of their words suffice.
        "cán bộ cấp xã huyện tỉnh hòa đồng dân năm thủy lợi quy định",
        "cán bộ cấp huyện là gì?",
        "Điện Biên",
        "-quy",
    ],
)
def test_recall_looks_for_phrases_only_where_they_can_match_and_finds_the_same(random_engine, q):
    from search.matching import TermCache, recall_mask

    s = random_engine.searcher()
    _, cols, _ = random_engine._generation(s)
    plan = random_engine._understand(s, q, "exact", True)[1]
    found = recall_mask(plan, cols, TermCache(s))
    expected = _recall_everywhere(plan, cols, TermCache(s))
    assert plan.clauses or plan.excluded
    assert np.array_equal(found, expected), q


# --- common terms' decoded postings, kept per index generation ------------------------------


@pytest.mark.parametrize(
    "field,text",
    [("text", "can"), ("text", "bo"), ("exact", "cán"), ("exact", "hòa"), ("title", "xa")],
)
@pytest.mark.parametrize("seed", range(2))
def test_cached_postings_read_as_the_files_do(segmented, field, text, seed):
    from search.backends.whoosh_cache import HotTerms, _StoredValues

    hot, key = HotTerms(min_postings=1), ("whoosh", 1)
    fresh = postings(segmented, field, text)
    postings(segmented, field, text, hot, key)  # read, and kept
    assert len(hot) == len(segmented.leaf_searchers())  # a part per segment
    kept = postings(segmented, field, text, hot, key)
    assert isinstance(kept.values, _StoredValues)  # from the cache, not the files
    _same_postings(kept, fresh, random.Random(seed))


def _same_postings(kept, fresh, rng):
    assert np.array_equal(kept.ids, fresh.ids) and kept.ids.dtype == fresh.ids.dtype
    assert np.array_equal(kept.weights, fresh.weights) and kept.weights.dtype == np.float32
    for sel in (sorted(rng.sample(range(len(fresh)), rng.randint(1, len(fresh)))), [0]):
        got, want = kept.positions(sel), fresh.positions(sel)
        assert all(np.array_equal(g, w) for g, w in zip(got, want))
    assert list(kept.values) == list(fresh.values)


@pytest.mark.parametrize("text", ["can", "bo", "dien"])
@pytest.mark.parametrize("forget", [0, 1, -1])
def test_a_term_read_partly_from_the_cache_reads_as_the_files_do(segmented, text, forget):
    """After a commit a term's kept parts are those of the older segments: the
    others are read from the files, and the two read together as one list."""
    from search.backends.whoosh_cache import HotTerms

    hot, key = HotTerms(min_postings=1), ("whoosh", 1)
    fresh = postings(segmented, "text", text)
    postings(segmented, "text", text, hot, key)
    seg = [k[0] for k in hot._entries][forget]
    hot.nbytes -= hot._entries.pop((seg, "text", text)).nbytes  # as if that segment were new
    mixed = postings(segmented, "text", text, hot, key)
    _same_postings(mixed, fresh, random.Random(len(text)))
    assert (seg, "text", text) in hot._entries  # and its part is kept now


@pytest.mark.parametrize(
    "ids,weights,small",
    [
        ([3, 4, 9, 500], [1.0, 2.0, 3.0, 40.0], True),
        ([3, 4, 9, 500], [1.0, 2.5, 1.1, 40.0], False),  # 1.1 is not a half float
        ([0, 70_000, 70_001, 300_000], [1.0, 1.0, 2.0, 1.0], True),  # gaps past 16 bits
    ],
)
def test_cached_ids_and_weights_come_back_exactly(ids, weights, small):
    from search.backends.whoosh_cache import _Hot

    ids_a, weights_a = np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float32)
    entry = _Hot(ids_a, weights_a, [(100, 50, len(ids), True)])
    assert (entry.weights.dtype == np.float16) is small
    assert entry.ids().tolist() == ids and entry.weights32().tolist() == weights_a.tolist()
    assert entry.table(3).tolist() == [[3, 0, 100, 50, len(ids), 1]]


def test_the_cache_keeps_the_followed_readers_segments_within_its_budget():
    from search.backends.whoosh_cache import HotTerms, _Hot

    def entry(n):
        return _Hot(np.arange(n, dtype=np.int64), np.ones(n, dtype=np.float32), [(0, 1, n, 1)])

    size = entry(1000).nbytes
    hot = HotTerms(budget=3 * size, min_postings=1)
    hot.follow("r1", ["s1", "s2"])
    for t in "abc":
        hot.put("s1", "text", t, entry(1000))
    assert hot.get("s1", "text", "a") is not None  # "a" is now the most recently used
    hot.put("s1", "text", "d", entry(1000))
    assert [t for t in "abcd" if hot.get("s1", "text", t)] == ["a", "c", "d"]
    assert hot.nbytes <= hot.budget
    hot.put("s1", "text", "big", entry(10_000))  # more than the whole budget: not kept
    assert hot.get("s1", "text", "big") is None and len(hot) == 3
    hot.put("s9", "text", "e", entry(10))  # a segment the followed reader lacks
    assert hot.get("s9", "text", "e") is None
    # The next commit's reader: s1 merged away, s2 kept, s3 new.
    hot.put("s2", "text", "f", entry(10))
    hot.follow("r2", ["s2", "s3"])
    assert hot.get("s1", "text", "a") is None and hot.get("s2", "text", "f") is not None
    assert len(hot) == 1 and hot.nbytes == entry(10).nbytes
    hot.follow("r2", ["s4"])  # the same reader again: nothing changes
    assert len(hot) == 1


def test_the_cache_counts_about_the_memory_it_holds():
    """The budget is in bytes held: each entry's arrays, objects and key (absent
    terms share one entry), within a third of what tracemalloc sees."""
    import tracemalloc

    from search.backends.whoosh_cache import _ABSENT, HotTerms, _Hot

    ids = np.arange(0, 2000, 3, dtype=np.int64)
    weights = np.ones(len(ids), dtype=np.float32)
    hot = HotTerms(budget=1 << 40, min_postings=1)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(2000):
            for seg in ("s1", "s2", "s3"):
                hot.put(seg, "text", f"t{i}", _ABSENT)
            # Small parts: what an entry costs beyond its data is most of it.
            hot.put("s4", "text", f"t{i}", _Hot(ids[:2], weights[:2], [(0, 10, 2, 1)]))
            hot.put("s5", "text", f"t{i}", _Hot(ids[:40], weights[:40], [(0, 10, 40, 1)]))
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert 0.75 < held / hot.nbytes < 1.33


_CACHE_QUERIES = [
    "cán bộ cấp xã",
    '"điện biên" "thủy lợi" -"quy định"',
    "hoa dong dan nam",
    "cán bộ cấp huyện là gì?",
    "quy định",
    "năm",
]


def _answers(engine, queries=_CACHE_QUERIES):
    out = []
    for q in queries:
        for sort in ("relevance", "date"):
            r = engine.search(q, sort=sort, per_page=20)
            out.append(
                (
                    r.total,
                    [(h.id, h.snippet, h.title, h.score) for h in r.hits],
                    {k: [(v.value, v.count) for v in vs] for k, vs in r.facets.items()},
                    r.suggestion,
                )
            )
    return out


def test_searches_answer_the_same_from_the_cache(random_engine):
    from concurrent.futures import ThreadPoolExecutor

    from search.engine import Engine

    plain = Engine(random_engine.path, postings_cache_mb=0)
    cached = Engine(random_engine.path)
    try:
        want = _answers(plain)
        assert plain.source().hot.budget == 0 and len(plain.source().hot) == 0
        hot = cached.source().hot
        assert hot.min_postings == 1  # every term of this small index (conftest)
        assert _answers(cached) == want  # read from the files, and kept
        assert len(hot) > 10
        assert _answers(cached) == want  # from the cache
        with ThreadPoolExecutor(8) as pool:  # the threads share it
            assert all(a == want for a in pool.map(lambda _: _answers(cached), range(8)))
    finally:
        plain.close_all()
        cached.close_all()


def kept_segments(engine) -> set[str]:
    """The segment ids of the engine's current reader."""
    return {
        leaf.reader().segment().segment_id()
        for leaf, _ in engine.searcher().searcher.leaf_searchers()
    }


def _engine_of_300(path, seed: int):
    """An engine over 300 articles written in three batches (three segments at first)."""
    from search.engine import Engine

    rng = random.Random(seed)
    ix, _ = open_for_writing(path)
    for _ in write_batches(ix, [(_article(i, rng), "") for i in range(300)], batch_size=100):
        pass
    return Engine(path)


def test_the_cache_follows_the_index_to_its_next_commit(tmp_path):
    engine = _engine_of_300(tmp_path, 5)
    try:
        hot = engine.source().hot
        assert hot.min_postings == 1  # conftest
        before = engine.search("cán bộ", per_page=50).total
        assert len(hot)
        added = [
            (Article(id=f"n{i}", title="Cán bộ mới", body="cán bộ " * 3, content_hash=f"n{i}"), "")
            for i in range(5)
        ]
        for _ in write_batches(open_index(tmp_path), added, batch_size=5):
            pass
        old = {k for k in hot._entries if k[0] in kept_segments(engine)}
        for _ in write_batches(open_index(tmp_path), added, batch_size=5):
            pass
        r = engine.search("cán bộ", per_page=50)
        assert r.total == before + 5
        assert {f"n{i}" for i in range(5)} <= {h.id for h in r.hits}
        assert hot._key == engine.searcher().key
        # The segments the commit left as they were keep their parts.
        now = kept_segments(engine)
        assert {k for k in old if k[0] in now} <= set(hot._entries)
        assert all(k[0] in now for k in hot._entries)
    finally:
        engine.close_all()


def test_a_documents_key_outlives_the_commits_that_keep_its_segment(tmp_path):
    """Near-duplicate signatures are kept on Reader.doc_key: a commit recomputes
    them only for the documents of the segments it wrote (new or merged)."""
    engine = _engine_of_300(tmp_path, 11)
    try:
        s = engine.searcher()
        before = {s.stored(d)["id"]: s.doc_key(d) for d in s.live_ids().tolist()}
        assert len(set(before.values())) == len(before)  # one key per document
        first = [h.id for h in engine.search("cán bộ", per_page=10).hits]
        kept = len(engine._shingles._d)
        assert kept >= 10
        added = [
            (
                Article(
                    id=f"n{i}", title="Tòa nhà mới", body="tòa nhà mới " * 9, content_hash=f"n{i}"
                ),
                "",
            )
            for i in range(5)
        ]
        for _ in write_batches(open_index(tmp_path), added, batch_size=5):
            pass
        s = engine.searcher()
        after = {s.stored(d)["id"]: s.doc_key(d) for d in s.live_ids().tolist()}
        now = kept_segments(engine)
        same = [i for i in before if after[i] == before[i]]
        assert same and all(after[i][0] in now for i in same)
        moved = [i for i in before if after[i] != before[i]]  # their segment was merged
        assert all(before[i][0] not in now for i in moved)
        assert [h.id for h in engine.search("cán bộ", per_page=10).hits] == first
        assert len(engine._shingles._d) - kept <= len(moved)
    finally:
        engine.close_all()


@pytest.mark.whoosh_only
@pytest.mark.parametrize("length", [0x7FFFFF00, -0x7FFFFF00])
def test_a_block_that_ends_past_its_terms_postings_is_damage(tmp_path, length):
    """A term's blocks after the first are read in one call, as long as its postings
    say: a block whose length prefix runs past them is a read error, and a search
    says the index is damaged."""
    from search.engine import Engine
    from search.errors import IndexDamaged

    rng = random.Random(3)
    ix, _ = open_for_writing(tmp_path)
    items = [(_article(i, rng), "") for i in range(400)]
    for _ in write_batches(ix, items, batch_size=400):
        pass
    with open_index(tmp_path).searcher() as s:
        m = s.leaf_searchers()[0][0].reader().postings("text", "nam")
        m = getattr(m, "child", m)
        assert not m._lastblock  # "nam" (năm and nam) spans several blocks
        second = m._postfile.get(m._nextoffset, 48)  # the second block's start
    (seg,) = tmp_path.glob("*.seg")
    data = seg.read_bytes()
    at = data.find(second)
    assert at > 0 and data.find(second, at + 1) < 0
    seg.write_bytes(data[:at] + length.to_bytes(4, "big", signed=True) + data[at + 4 :])
    with open_index(tmp_path).searcher() as s, pytest.raises(EOFError, match="past its term"):
        postings(s, "text", "nam")
    engine = Engine(tmp_path)
    try:
        with pytest.raises(IndexDamaged, match="vnsearch index --rebuild"):
            engine.search("nam")
    finally:
        engine.close_all()
