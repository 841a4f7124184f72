"""search.pyvi_fast and segment() give exactly pyvi's own output (issue 13)."""

import string
import unicodedata
from pathlib import Path

import pytest
import pyvi
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyvi import ViTokenizer

from search import pyvi_fast
from search.pyvi_crf import read_model
from search.segment import MAX_SENTENCE_CHARS, segment, segment_with_pyvi, sentences

NEWS = (
    "Mục tiêu xuất khẩu tôm trị giá 10 tỉ USD chưa thấy, chỉ biết rằng giá tôm tại "
    '"thủ phủ" Miền Tây đang giảm mạnh và các bên phải xúm tay vào bàn cách giải cứu.'
)

TRICKY = [
    "",
    " ",
    "\n",
    "\t\u00a0 \u3000",
    ".",
    "...",
    "!?!",
    "a",
    "Hà Nội",
    NEWS,
    # punctuation glued to words, quotes, brackets, dashes
    '"Không!" - ông nói (tại Hà Nội); [ghi chú] {x} <b> — – … «Huế» “Đà Nẵng”',
    'Thủ tướng: "Phải làm ngay"... rồi ==> kết quả -> tốt >> hơn',
    "_ __ ___init___ a_b _x_",
    # numbers, money, percentages, dates, times
    "10.000 - 30.000 đồng / kg, tăng 3,5% so với 2.5 tỷ; 1.234.567,89 USD",
    "ngày 20/11/2023, 20-11-2023, 20.11.2023 lúc 14h30, 7:45 sáng, năm 2024",
    "1_000_000 1,2,3 1..2 1.a 12abc abc12 H2O CO2 4G",
    # e-mail, URLs, handles
    "Liên hệ: nguyen.van.a@gmail.com, tin-tuc+1@vnexpress.net hoặc @handle a@b",
    "Xem https://vnexpress.net/tin-tuc/thoi-su-123.html?x=1&y=2 và ftp://a.b/c.",
    "www.baochinhphu.vn http:// a://b",
    # policy references
    "Quyết định 70/2009/QĐ-TTg, Nghị định số 15/2020/NĐ-CP, Thông tư 01/2021/TT-BTC.",
    "Luật số 59/2020/QH14; Nghị quyết 01/NQ-CP; Công văn 123/UBND-KT",
    # names, abbreviations, capitals
    "Ông Nguyễn Văn A, bà Trần Thị B và PGS.TS Lê Văn C tại TP.HCM, Tp. Hồ Chí Minh.",
    "Mr. Smith, Mrs. Jones, Ms. Lee, Dr. Who, ThS. Nguyễn gặp UBND TP. HÀ NỘI và USD.",
    "ĐẠI HỘI ĐẢNG TOÀN QUỐC LẦN THỨ XIII Đ. A. B.C. XYZ.",
    "iPhone eBay McDonald O'Neil d'Arc Hồ-Chí-Minh",
    # mixed scripts and odd letters
    "Москва 北京 東京 서울 Αθήνα ΟΔΟΣ Σ ΣΑΣ ﬁle İstanbul ß ǅ ǈ",
    "emoji 😀 👍🏽 ✓ ☺ © ® ™ ½ ² ³ ١٢٣ ๑๒ Ⅻ",
    # tone placement, decomposed marks, look-alikes
    "hòa hoà thủy thuỷ khỏe khoẻ Hoà Bình",
    unicodedata.normalize("NFD", "Hoà giải thành công ở Đồng Tháp"),
    "Ðà Nẵng Đà Nẵng đà nẵng",
    # whitespace of every kind between syllables
    "Hà\tNội\u00a0Việt\u2003Nam\u200bxin\r\nchào\x0b\x0cbạn\x1c\x1d\x85cuối",
    "dòng một\ndòng hai\n\ndòng ba",
    # pyvi's quadratic cases, bounded
    "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p" * 20,
    "a+b-c_d.e" * 50 + "@x",
    "1-1-1-1" * 100,
    # phrases of pyvi's word list whose bigram and trigram features decide the labels
    "an toàn khu",
    "ông an toàn khu của",
    "ông bầu không khí của",
    "ông cha đỡ đầu của",
    "ông a ma tơ của",
    "Chính Thống giáo",
    "ông Bà La Môn của",
    "Hệ Mặt Trời",
    "Tết dương lịch",
    # long lines
    " ".join([NEWS] * 40),
    "ă" * 3000,
    "chữ " * 1500,
]


def _pyvi_tokenize(text: str) -> str:
    return ViTokenizer.ViTokenizer.tokenize(text)


@pytest.mark.parametrize("text", TRICKY)
def test_tokenize_is_pyvi(text):
    assert pyvi_fast.tokenize(text) == _pyvi_tokenize(text)


@pytest.mark.parametrize("text", TRICKY)
def test_syllables_are_pyvis(text):
    assert pyvi_fast.syllables(text) == ViTokenizer.ViTokenizer.sylabelize(text)[1]


def _pyvi_labels(text: str) -> list[str]:
    tok = ViTokenizer.ViTokenizer
    syllables = tok.sylabelize(text)[1]
    return list(tok.model.tagger_.tag(tok.sent2features(syllables, False))) if syllables else []


@pytest.mark.parametrize("text", TRICKY)
def test_labels_are_crfsuites(text):
    # Labels of pyvi's CRF as python-crfsuite's tagger gives them for pyvi's features.
    assert pyvi_fast.labels(text) == _pyvi_labels(text)


@pytest.mark.parametrize("text", TRICKY)
def test_segment_is_pyvi_on_each_piece(text):
    assert segment(text) == segment_with_pyvi(text)


def test_cold_and_warm_caches_agree():
    pyvi_fast.clear_caches()
    cold = [pyvi_fast.tokenize(t) for t in TRICKY]
    warm = [pyvi_fast.tokenize(t) for t in TRICKY]  # sentences now cached
    pyvi_fast.clear_caches()
    assert cold == warm == [_pyvi_tokenize(t) for t in TRICKY]


def test_syllable_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(pyvi_fast, "MAX_CACHED_SYLLABLES", 5)
    pyvi_fast.clear_caches()
    text = "một hai ba bốn năm sáu bảy tám chín mười Hà Nội"
    assert pyvi_fast.tokenize(text) == _pyvi_tokenize(text)
    assert len(pyvi_fast.load().syllables) <= 5
    pyvi_fast.clear_caches()


def test_segment_joins_words_and_keeps_pieces_bounded():
    # Not only equal to pyvi: pyvi's known words are joined, and a long line is
    # still cut into pieces of at most MAX_SENTENCE_CHARS.
    assert "xuất_khẩu" in segment(NEWS)
    long_line = " ".join([NEWS.rstrip(".")] * 50)
    assert max(len(p) for p in sentences(long_line)) <= MAX_SENTENCE_CHARS
    assert segment(long_line) == segment_with_pyvi(long_line)


def test_lone_surrogate_is_segmented_like_an_unknown_symbol():
    # pyvi cannot tag it (python-crfsuite fails to encode it); the fast path
    # gives what pyvi gives for a symbol its model does not know, in its place.
    with pytest.raises((SystemError, UnicodeEncodeError)):
        _pyvi_tokenize("xin \ud800 chào")
    for text in ("xin \ud800 chào các bạn", "Hà Nội\ud800 mùa thu"):
        expected = _pyvi_tokenize(text.replace("\ud800", "\u2603")).replace("\u2603", "\ud800")
        assert pyvi_fast.tokenize(text) == expected


def _model_file() -> Path:
    return Path(ViTokenizer.ViTokenizer.model.modelfile.name)


def test_read_model_reads_pyvis_crf():
    crf = read_model(_model_file())
    assert crf.labels == ("B_W", "I_W")
    assert len(crf.state) > 5000
    # A known word's own attribute has a weight for each label.
    assert [len(w) for w in crf.weights(("bias", "word.lower():của"))] == [2, 2]


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b"",
        lambda b: b[:40],
        lambda b: b[: len(b) // 2],
        lambda b: b"xCRF" + b[4:],
        lambda b: b"\0" * len(b),
    ],
)
def test_read_model_rejects_a_damaged_file(tmp_path, damage):
    bad = tmp_path / "bad.crfsuite"
    bad.write_bytes(damage(_model_file().read_bytes()))
    with pytest.raises(ValueError, match="not a two-label crfsuite CRF1d model"):
        read_model(bad)


# --- properties ---------------------------------------------------------------


# pyvi's word list: its two- and three-syllable words are its bigrams and trigrams.
NGRAMS = [
    w
    for w in (Path(pyvi.__file__).parent / "models" / "words.txt").read_text("utf-8").split("\n")
    if w.count(" ") in (1, 2)
]
SYLLABLES = sorted({s for w in NGRAMS[::40] for s in w.split(" ")})
VIETNAMESE = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
PIECES = [
    "TP.",
    "Tp.",
    "Mr.",
    "Mrs.",
    "Dr.",
    "ThS.",
    "USD.",
    "QĐ-TTg",
    "70/2009/",
    "10.000",
    "3,5",
    "1_2",
    "a@b.vn",
    "x.y@z",
    "https://a.vn/b",
    "==>",
    "->",
    ">>",
    "...",
    "2024",
    "Σ",
    "ΟΣ",
]
PUNCT = list(string.punctuation) + ["“", "”", "–", "…", "«", "»"]
SEPARATORS = [" ", " ", " ", "", "  ", "\n", "\t", "\u00a0", ", ", ". "]

syllable = st.one_of(
    st.sampled_from(NGRAMS),  # whole words, so that n-gram features fire
    st.sampled_from(NGRAMS).map(str.title),
    st.sampled_from(SYLLABLES),
    st.sampled_from(SYLLABLES).map(str.title),
    st.sampled_from(SYLLABLES).map(str.upper),
    st.sampled_from(PIECES),
    st.sampled_from(PUNCT),
    st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + string.digits, min_size=1, max_size=6),
)
sentence = st.lists(st.tuples(syllable, st.sampled_from(SEPARATORS)), max_size=40).map(
    lambda parts: "".join(s + sep for s, sep in parts)
)
ALPHABET = (
    VIETNAMESE
    + VIETNAMESE.upper()
    + "ÐĐ"
    + string.ascii_letters
    + string.digits
    + string.punctuation
    + " \u00a0\u200b\u0300\u0301\u0303\u0309\u0323\n\t"
)
raw_text = st.one_of(st.text(alphabet=ALPHABET, max_size=120), st.text(max_size=60))

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.one_of(sentence, raw_text))
def test_tokenize_is_pyvi_on_random_text(text):
    assert pyvi_fast.tokenize(text) == _pyvi_tokenize(text)


@FAST
@given(st.one_of(sentence, raw_text))
def test_labels_are_crfsuites_on_random_text(text):
    assert pyvi_fast.labels(text) == _pyvi_labels(text)


@FAST
@given(st.lists(sentence, max_size=5).map("\n".join))
def test_segment_is_pyvi_on_random_articles(text):
    assert segment(text) == segment_with_pyvi(text)


def test_pyvis_model_is_read_from_its_own_files_without_sklearn():
    # The CRF and the word lists ViTokenizer loads, read straight from pyvi's
    # package: no scikit-learn (80 MB and 0.8 s in every indexing process).
    import subprocess
    import sys

    from search.pyvi_crf import read_pyvi_model, read_pyvi_ngrams

    assert read_pyvi_model() == read_model(_model_file())
    assert read_pyvi_ngrams() == (
        ViTokenizer.ViTokenizer.bi_grams,
        ViTokenizer.ViTokenizer.tri_grams,
    )
    script = (
        "import sys; from search import pyvi_fast; pyvi_fast.load(); "
        "print(pyvi_fast.tokenize('cán bộ cấp xã'), "
        "sorted(m for m in ('sklearn', 'scipy', 'sklearn_crfsuite', 'pyvi.ViTokenizer') "
        "if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.split() == [*_pyvi_tokenize("cán bộ cấp xã").split(), "[]"]


def test_a_model_pickle_naming_another_class_is_refused(tmp_path, monkeypatch):
    import pickle

    from search import pyvi_crf

    bad = tmp_path / "models" / "pyvi3.pkl"
    bad.parent.mkdir()
    bad.write_bytes(pickle.dumps(Path("x")))  # pathlib.PosixPath: not pyvi's estimator
    monkeypatch.setattr(pyvi_crf, "pyvi_file", lambda name: tmp_path / name)
    with pytest.raises(pickle.UnpicklingError):
        pyvi_crf.read_pyvi_model()
