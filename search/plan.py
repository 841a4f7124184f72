"""What a parsed query must match and how it ranks, independent of the storage engine.

A query is read as *words*, each a run of adjacent syllables:

* a syllable typed with Vietnamese diacritics matches only that syllable
  (case, NFC/NFD, ``Ð``/``Đ`` and old/new tone placement aside): ``bão`` is
  never ``báo`` or ``bao``; a syllable typed without marks matches every accent
  variant. ``accents="any"`` folds every syllable (the fallback, and a switch);
* adjacent syllables that the index's own statistics show to be one word (pyvi
  joined them in most of their occurrences at ingest: ``nông thôn``, ``hòa
  giải``, ``Đà Nẵng``), a quoted phrase, or a token such as ``TP.HCM`` must be
  adjacent in the article; separate words may be anywhere. Recall never depends
  on how pyvi segments the short query itself;
* in a natural-language question (a ``?``, ``gì``, ``bao nhiêu``, ``phải làm sao``,
  …) question words are never required and weigh little; the rest is required,
  but a function word on its own (typed with its accents) asks for nothing and is
  not; a long query (10 syllables or more) needs only half of its content words.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from .analysis import canonical_syllable, fold, has_diacritics, well_formed
from .extract import places
from .query import LONG_QUERY_MIN_SHOULD, ParsedQuery, Unit

ACCENTS = ("auto", "exact", "any")
# Ranking weights, relative to a folded match in the text: a query syllable in
# the title, with its exact (typed or restored) diacritics, or a query word
# that pyvi also found as a whole word in the article.
TITLE_BOOST = 2.0
EXACT_BOOST = 2.5
WORD_BOOST = 1.0
# The best hits of those terms are re-ranked by the query as a phrase and by
# how close its words are to each other.
RESCORE_WINDOW = 100
PHRASE_BOOST = 2.0
PROXIMITY_BOOST = 1.0
# A query word whose syllables stand side by side in an article only across a
# pyvi word boundary ("Khánh Hòa | giải đáp" for "hòa giải") scales the
# article's score by this much, per such word.
BOUNDARY_FACTOR = 0.6
# An abbreviation and its expansion score as one term of this weight (about
# what a word of two syllables adds).
ALIAS_BOOST = 2.0
# A question word's share of a syllable's usual weight.
QUESTION_WEIGHT = 0.1
# A lone syllable typed before a word of several syllables is one term with it when
# the index holds it right before the word in at least this share of the word's
# occurrences (see _binding): "bộ" before "tài chính" 49%, "công" before "trực tuyến"
# 28%, "xã" before "nông thôn" 2%. The engine still reads it apart when the articles
# hold it side by side too seldom (a free combination).
BIND_SHARE = 0.2
# ... and a unit's type or a title (see NAME_OPENERS), in at least this share.
OPENER_BIND_SHARE = 0.5
# A word pyvi made of two query syllables is not taken when the lone syllable before
# stands side by side with its first this many times as often (see _outweighed).
WORD_OUTWEIGH = 20

# Function words, tone-canonical: never joined to a neighbour by the pair test
# (``hộ nghèo ở Lai Châu``: "nghèo ở" stands side by side often enough).
FUNCTION_WORDS = frozenset(
    [
        "ở",
        "của",
        "là",
        "có",
        "và",
        "với",
        "cho",
        "tại",
        "trong",
        "ngoài",
        "trên",
        "dưới",
        "đã",
        "đang",
        "sẽ",
        "được",
        "bị",
        "các",
        "những",
        "mọi",
        "một",
        "này",
        "kia",
        "đó",
        "ấy",
        "thì",
        "mà",
        "nhưng",
        "hay",
        "hoặc",
        "về",
        "từ",
        "đến",
        "tới",
        "để",
        "như",
        "khi",
        "nếu",
        "vì",
        "do",
        "theo",
        "bằng",
        "qua",
        "rất",
        "cũng",
        "vẫn",
        "còn",
        "nào",
        "ai",
        "gì",
        "không",
        "chưa",
        "ra",
        "vào",
        "lên",
        "xuống",
        "nhiều",
        "ít",
        "hơn",
        "nhất",
        "sau",
        "trước",
        "giữa",
        "cùng",
        "sự",
        "việc",
        "nên",
        "rồi",
        "lại",
        "đi",
        "đâu",
        "sao",
        "mấy",
        "thế",
    ]
)
# Typed without accents, any syllable that folds alike is taken for one: the
# pair test only narrows a query, so leaving a pair apart is the safe side.
FOLDED_FUNCTION_WORDS = frozenset(fold(w) for w in FUNCTION_WORDS)
# A function word that is also a number: in a short query, it pairs with what it
# counts, as other numbers do (see _pair_lone_syllables).
NUMBER_FUNCTION_WORDS = frozenset(["một"])
# Function words that join two things of one kind ("bão và lũ"): the things are
# wanted, in any order, not the phrase; never a bridge (_bridge_function_words).
CONJUNCTIONS = frozenset(["và", "hoặc", "hay", "nhưng", "mà", "với", "cùng"])
FOLDED_CONJUNCTIONS = frozenset(fold(w) for w in CONJUNCTIONS)
# Words written with a capital before a name (first in a query, or as a title):
# a unit's type or a person's title, which never begins a name (_join_names).
# Tone-canonical; typed without accents, any that folds alike.
NAME_OPENERS = frozenset(
    " ".join(map(canonical_syllable, w.split()))
    for w in (
        *("tỉnh", "thành phố", "tp", "huyện", "quận", "thị xã", "thị trấn", "xã", "phường"),
        *("thôn", "bản", "ấp", "ông", "bà", "anh", "chị", "cô", "chú", "bác", "đồng chí"),
        *("chủ tịch", "bí thư", "thủ tướng", "bộ trưởng", "thứ trưởng", "giám đốc"),
        *("tổng bí thư", "chủ nhiệm"),
    )
)
FOLDED_NAME_OPENERS = frozenset(fold(w) for w in NAME_OPENERS)
# Common family names: a run of capitals that begins with one is a person's name
# even when every word of the query was typed with a capital ("Võ Văn Thưởng";
# "Can Bo Cap Xa" is title case, not a name).
FAMILY_NAMES = frozenset(
    canonical_syllable(w)
    for w in (
        *("nguyễn", "trần", "lê", "phạm", "hoàng", "huỳnh", "phan", "vũ", "võ", "đặng"),
        *("bùi", "đỗ", "hồ", "ngô", "dương", "lý", "trương", "đinh", "trịnh", "lương"),
        *("phùng", "quách", "vương", "đoàn", "mai", "hà", "lâm", "cao", "tô", "lưu", "tạ"),
        *("chu", "thái", "la", "đào", "kiều", "triệu", "tôn", "lại", "từ", "thân", "đàm"),
    )
)
FOLDED_FAMILY_NAMES = frozenset(fold(w) for w in FAMILY_NAMES)
# Question cues, tone-canonical; multi-syllable cues are matched as runs.
QUESTION_CUES = [
    c.split()
    for c in (
        "gì",
        "nào",
        "sao",
        "đâu",
        "mấy",
        "bao nhiêu",
        "bao giờ",
        "bao lâu",
        "thế nào",
        "như thế nào",
        "có phải",
        "phải không",
        "hay không",
        "được không",
        "có không",
        "đúng hay sai",
        "là gì",
        "là ai",
        "những ai",
        "tại sao",
        "vì sao",
        "khi nào",
        "ở đâu",
        "ra sao",
        "làm sao",
        "phải làm sao",
        "hay chưa",
        "chưa",
    )
]
# Cues that are as often other words ("Sao Vàng", "chưa thanh toán"):
# questions only at the end of the query, or in one with a "?".
TRAILING_CUES = {"sao", "chưa"}
# Words that open a question by saying what kind of answer it wants ("Định nghĩa
# của ...", "Mô tả ...", "Hãy cho biết ..."): question words at the start of a
# question or a long query, where the answer seldom repeats them. Not a bare verb
# that begins many terms ("nêu gương", "giải thích pháp luật", "cho biết").
FRAMING_CUES = [
    c.split()
    for c in (
        "định nghĩa",
        "khái niệm",
        "mô tả",
        "hãy nêu",
        "hãy giải thích",
        "hãy cho biết",
        "hãy mô tả",
    )
]
FOLDED_FRAMING_CUES = [[fold(s) for s in c] for c in FRAMING_CUES]
# Those that name what is asked for ("Định nghĩa hộ nghèo là gì"), framing even before
# another question word, unlike verbs that begin terms ("mô tả công việc là gì").
FOLDED_DEFINITIONS = frozenset(["dinh nghia", "khai niem"])
# Numbers written as words, tone-canonical: "năm sao" is five stars, not "why".
NUMBER_WORDS = frozenset(
    canonical_syllable(w)
    for w in ("một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười", "trăm")
)
FOLDED_NUMBER_WORDS = frozenset(fold(w) for w in NUMBER_WORDS)
# Folded cues trusted in a query typed without accents: single syllables such
# as "nao" or "sao" are too often other words there.
FOLDED_CUES = [
    c.split()
    for c in (
        "gi",
        "bao nhieu",
        "bao gio",
        "bao lau",
        "the nao",
        "nhu the nao",
        "co phai",
        "phai khong",
        "hay khong",
        "duoc khong",
        "dung hay sai",
        "la gi",
        "la ai",
        "nhung ai",
        "tai sao",
        "vi sao",
        "khi nao",
        "o dau",
        "ra sao",
        "phai lam sao",
    )
]


@dataclass(frozen=True)
class ScoreTerm:
    """One term that adds to a document's score: BM25 of its weight, times ``boost``."""

    field: str
    text: str
    boost: float = 1.0
    normalize: bool = True  # scale by the article's length (not for titles)


@dataclass(frozen=True)
class Syllable:
    """One query syllable: lower-case, tone-canonical text, and whether its accents are required."""

    text: str
    exact: bool  # the accents are required
    accented: bool = False  # typed with accents (ranked by them even when not required)

    @property
    def folded(self) -> str:
        """The syllable without diacritics."""
        return fold(self.text)


@dataclass(frozen=True)
class Word:
    """Adjacent syllables that must occur one after another, or a policy reference."""

    syllables: tuple[Syllable, ...]
    ref_key: str | None = None
    question: bool = False  # a question word: never required, weighs little
    alias: bool = False  # another form of a typed word (an abbreviation's expansion)
    pause: bool = False  # punctuation that ends a clause follows it (query.Unit.pause)
    paired: bool = False  # joined by the index's pair test: two lone syllables, or a name
    bridged: bool = False  # two lone syllables and the function word between (is_bridge)
    tail: bool = False  # a word and the lone syllable after it, paired (_trailing)
    # A name joined from parts: how many syllables precede its last part (the
    # engine keeps a person's name whose first part the articles go on with a
    # given name together, however rarely it is found: "Nguyễn Hoàng" + "Sang").
    head: int = 0
    # One syllable typed without accents: its reading in the query's restored accents.
    reading: str | None = None

    @property
    def folded(self) -> tuple[str, ...]:
        """The word's syllables without diacritics."""
        return tuple(s.folded for s in self.syllables)

    @property
    def text(self) -> str:
        """The word as understood (lower case)."""
        return " ".join(s.text for s in self.syllables)


@dataclass
class Plan:
    """A query as required clauses of alternative words, exclusions and a matching mode."""

    clauses: list[list[Word]] = field(default_factory=list)
    excluded: list[Word] = field(default_factory=list)
    relaxed: bool = False  # a question or a long query: ranked as one (see score_terms)
    long: bool = False  # a long query: half of its required clauses are enough to match
    accents: str = "exact"  # the reading: "exact" (as typed) or "any" (folded)
    # Clauses whose alternatives are one word in several forms (an
    # abbreviation and what it stands for): index -> (typed form, other forms shown).
    aliases: dict[int, tuple[str, list[str]]] = field(default_factory=dict)

    @property
    def words(self) -> list[Word]:
        """Every positive word, in query order."""
        return [w for clause in self.clauses for w in clause]

    @property
    def required(self) -> list[list[Word]]:
        """The clauses recall counts (question words left out, unless there is nothing else)."""
        content = [c for c in self.clauses if not all(w.question for w in c)]
        if self.relaxed:
            # A function word on its own ("đã", "của") is no evidence of what a
            # question or a long query asks about: not required, nor one of the half
            # a long query needs ("đã thanh toán chưa" is what "thanh toán" finds).
            # Typed without accents, only in a long query or one typed with accents
            # elsewhere: in a short question "cho" may be *chợ*, "dau" *đau*.
            accented = any(s.accented for w in self.words for s in w.syllables)
            meaning = [
                c
                for c in content
                if not all(_lone_function_word(w, accented, self.long) for w in c)
            ]
            content = meaning or content
        return content or self.clauses

    @property
    def min_match(self) -> int:
        """How many required clauses a document must match."""
        n = len(self.required)
        if not self.long:
            return n
        return max(1, math.ceil(n * LONG_QUERY_MIN_SHOULD))

    @property
    def has_exact(self) -> bool:
        """True when some positive syllable must match with its accents."""
        return any(s.exact for w in self.words for s in w.syllables)

    def describe(self) -> list[list[str]]:
        """The positive words as lists of syllables (what the query was understood as)."""
        return [[s.text for s in w.syllables] for w in self.words if not w.question and not w.alias]


class WordTest(Protocol):
    """The index's test: are the pair's two syllables one word in it?"""

    def __call__(
        self,
        before: str | None,
        a: str,
        b: str,
        after: str | None,
        /,
        *,
        exact: tuple[str | None, str | None] = (None, None),
    ) -> bool:
        """Folded syllables before, the pair, after; ``exact``: the pair's readings, each
        tone-canonical when its accents are required, else None (given only where the
        query's own pair is tested)."""
        ...


# aliases(key of a form, typed as an abbreviation?) -> the other forms of its
# group as (key, how to show it); see search.abbrev.
AliasLookup = Callable[[tuple[str, ...], bool], list[tuple[tuple[str, ...], str]]]
# is_pair(folded a, folded b) -> int: do the two syllables stand side by side
# in the index? 0 when not, else how often (two pairs that share a syllable
# are told apart by it).
PairTest = Callable[[str, str], int]
# is_bridge(word, before, after) -> int: is this run "syllable, function word,
# syllable" a term of the index (``người có công``), not a free combination, and
# no part of a term with the folded syllable typed before or after it? 0 when
# not, else how many articles hold it (at least 1; capped), which decides
# between two terms that share a syllable.
BridgeTest = Callable[["Word", str | None, str | None], int]
# is_name(folded syllables, folded syllables) -> bool: does the index hold these
# two runs of capitalised syllables side by side as one name ("bà rịa" "vũng
# tàu"), not as two names that merely meet ("hà tĩnh" "nghệ an")?
NameTest = Callable[[tuple[str, ...], tuple[str, ...]], bool]
# lexical(word) -> bool: is this pair a word of pyvi's dictionary, as typed (see
# the engine's _is_lexical)?
LexicalTest = Callable[["Word"], bool]
# holds(folded syllables) -> bool: does the index hold this run of three or more
# syllables side by side anywhere? A word the word test chains from overlapping
# pairs ("tân hiệp" + "hiệp bình" + "bình dương") may be found nowhere whole.
RunTest = Callable[[tuple[str, ...]], bool]
# is_place(unit's type, name) -> bool: does the index hold this name after other
# units' types too, so that the type typed tells the places apart (see _bind_places)?
PlaceTest = Callable[["Word", "Word"], bool]


@dataclass(frozen=True)
class Writing:
    """How the articles holding a run side by side write it (see search/names.py)."""

    name: bool  # with a capital on every syllable ("Võ Văn Thưởng")
    opens: bool  # as a name that goes on with another capital ("Nguyễn Hoàng" + "Sang")


# written(folded syllables) -> Writing: how the articles write this run.
NameWritten = Callable[[tuple[str, ...]], Writing]
# Words of a query run looked at, at most, for one form of an alias group.
MAX_ALIAS_WORDS = 6
# A province's name is at most this many syllables ("Bà Rịa Vũng Tàu").
MAX_PROVINCE_SYLLABLES = 4
# A name typed in small letters is read over at most this many syllables.
MAX_NAME_SYLLABLES = 4


def _syllables(unit: Unit, exact: bool) -> tuple[Syllable, ...]:
    # A policy reference is an identifier: "QD-TTG" is "QĐ-TTg".
    exact = exact and not unit.ref_key
    out = []
    for s in unit.syllables:
        accented = has_diacritics(s) and not unit.ref_key
        out.append(Syllable(canonical_syllable(s), exact and accented, accented))
    return tuple(out)


def _readings(a: Unit, b: Unit, exact: bool) -> tuple[str | None, str | None]:
    """The readings two plain syllables must have (see WordTest)."""
    sa, sb = _syllables(a, exact)[0], _syllables(b, exact)[0]
    return (sa.text if sa.exact else None, sb.text if sb.exact else None)


def _joinable(clause: list[Unit]) -> bool:
    """A clause that may join its neighbours into a word: one plain syllable."""
    return (
        len(clause) == 1
        and not clause[0].phrase
        and not clause[0].ref_key
        and len(clause[0].syllables) == 1
        and not any(c.isdigit() for c in clause[0].syllables[0])
    )


def build(
    pq: ParsedQuery,
    is_word: WordTest | None = None,
    accents: str = "exact",
    aliases: AliasLookup | None = None,
    is_pair: PairTest | None = None,
    is_bridge: BridgeTest | None = None,
    bind: PairTest | None = None,
    is_name: NameTest | None = None,
    written: NameWritten | None = None,
    labels: bool = True,
    lexical: LexicalTest | None = None,
    is_place: PlaceTest | None = None,
    holds: RunTest | None = None,
) -> Plan:
    """The plan of a parsed query; ``accents`` is "exact" (as typed) or "any" (folded).

    ``aliases`` (abbreviations and their expansions) adds every other form of a
    word, or of a run of words, as an alternative of its clause. ``is_pair``
    joins two adjacent lone syllables that pyvi did not make one word into one
    (see _pair_lone_syllables); ``is_bridge`` two lone syllables and the function
    word between them (see _bridge_function_words). ``bind`` is the pair test that
    ``OR`` and ``-`` bind words and names by (default ``is_pair``), kept by readings
    that leave pairs apart; ``is_name`` tells them where a name typed with capitals
    ends (see _operators_over_words); ``written`` where a name typed in small letters
    does (see _small_name). ``labels`` False leaves every number apart (see
    _bind_labels) and every unit's type apart from the name after it (``is_place``,
    see _bind_places). ``lexical`` keeps a dictionary word that the pair before it
    outweighs (see _outweighed). ``holds`` ends a word chained from overlapping
    pairs where the index never holds the longer run side by side and the syllable
    joined begins a word of its own.
    """
    exact = accents != "any"
    plan = Plan(accents="exact" if exact else "any")
    if is_word is not None:
        pq = _operators_over_words(
            pq, is_word, bind or is_pair, aliases, is_bridge, exact, is_name, labels
        )
    cues = _question_spans(pq, is_word, exact)
    plan.relaxed = pq.is_long or bool(cues) or "?" in pq.text
    # A short question needs every word it asks about ("vì sao giá lúa tăng"): half
    # of them would be any article with "tăng".
    plan.long = pq.is_long
    clauses = pq.clauses
    # A unit's name and its district's or province's: one word each (see _unit_names).
    named = _unit_names(pq.clauses, pq.accented)
    # Clauses typed right after an excluded word, or where the district or province
    # holding the unit named before begins: no word joins over that.
    walls = set(pq.excluded_then.values()) | _holders(named)
    # The query clause of each plan clause that is one syllable on its own.
    lone: dict[int, int] = {}
    # The query clauses (first, last) each plan clause was read from, when plain syllables.
    spans: list[tuple[int, int] | None] = []
    # Capitals mark names when the query has small letters too.
    mixed = any(u.raw[:1].islower() for c in clauses for u in c)
    # Runs of single plain syllables join into words where the index says so.
    i = 0
    while i < len(clauses):
        clause = clauses[i]
        if not _joinable(clause):
            plan.clauses.append(
                [
                    w
                    for u in clause
                    for w in [Word(_syllables(u, exact), u.ref_key, pause=u.pause)]
                    + _unhyphenated(u)
                    + _place_forms(u, aliases, pq.accented)
                ]
            )
            spans.append(None)
            i += 1
            continue
        j = named.get(i, i)
        while (
            i not in named
            and j + 1 < len(clauses)
            and j + 1 not in named
            and is_word is not None
            and _joins_next(clauses, j, cues, walls, is_word, exact)
            and not (mixed and _name_begins(clauses, j + 1, walls, is_word))
            # Chained from overlapping words ("Tân Hiệp" + "Hiệp Bình" of "Hiệp
            # Bình Chánh" + "Bình Dương"): where the syllable joined begins a word
            # of its own with the next, or pairs with it ("định nghĩa" + "nghĩa hộ"
            # + "hộ nghèo"), a word only where the index holds the whole run side by
            # side; else the word ends and the next begins ("Tân Hiệp" "Bình Dương").
            and not (
                j > i
                and holds is not None
                and (
                    end := _next_word_end(
                        clauses, j + 1, cues, walls, is_word, exact, named, is_pair
                    )
                )
                and not holds(tuple(fold(c[0].syllables[0]) for c in clauses[i : end + 1]))
            )
            and not (
                j == i
                and lone.get(len(plan.clauses) - 1) == i - 1
                and _outweighed(clauses, i, bind or is_pair, aliases, exact, lexical, mixed)
            )
        ):
            j += 1
        syls = tuple(s for c in clauses[i : j + 1] for s in _syllables(c[0], exact))
        question = all(k in cues for k in range(i, j + 1))
        if j == i and not question:
            lone[len(plan.clauses)] = i
        reading = clauses[i][0].restored if j == i else None
        plan.clauses.append(
            [Word(syls, question=question, pause=clauses[j][0].pause, reading=reading)]
        )
        spans.append((i, j))
        i = j + 1
    if is_bridge is not None:
        spans, lone = _bridge_function_words(
            plan, lone, clauses, cues, walls, aliases, spans, is_bridge, mixed
        )
    if is_pair is not None:
        spans = _pair_lone_syllables(
            plan, lone, clauses, cues, is_pair, walls, aliases, spans, mixed
        )
        spans = _join_names(plan, spans, clauses, cues, is_pair, walls, mixed, pq.accented, written)
    if is_word is not None and labels:
        spans = _bind_labels(plan, spans, clauses, cues, walls, mixed, bind or is_pair, aliases)
        if is_place is not None:
            spans = _bind_places(
                plan, spans, clauses, cues, walls, is_place, written, aliases, pq.accented
            )
    plan.excluded = [
        w
        for u in pq.excluded
        for w in [Word(_syllables(u, True), u.ref_key)]
        + _unhyphenated(u)
        + _place_forms(u, aliases, pq.accented)
    ]
    if aliases is not None:
        _add_aliases(plan, pq, aliases, spans)
    return plan


def _outweighed(
    clauses: list[list[Unit]],
    i: int,
    is_pair: PairTest | None,
    aliases: AliasLookup | None,
    exact: bool = True,
    lexical: LexicalTest | None = None,
    mixed: bool = True,
) -> bool:
    """Query clause i, a lone syllable's neighbour, pairs with it far more often than it
    begins a word with clause i + 1 ("miền Trung mưa": pyvi's "Trung_mưa" is its
    mistake in "miền Trung mưa to", 14 times against 765 of "miền trung"): no word
    starts there, and the pair rule may join it to the syllable before (where the
    letters' case allows). A word of pyvi's dictionary stays ("cảnh khô khát":
    "khô khát", though "cảnh khó" folds alike with "canh kho")."""
    if is_pair is None:
        return False
    a, b, c = clauses[i - 1][0], clauses[i][0], clauses[i + 1][0]
    # Only where the two may pair: a word beside a name keeps the name whole ("xã
    # Thạch Hội": "xã Thạch" stands side by side far more often than the name).
    before = _unit_at(clauses, i - 2)
    if not _pairs_with(a, b, is_pair, aliases, i - 1 == 0 and mixed, c, before=before):
        return False
    x, y, z = (fold(u.syllables[0]) for u in (a, b, c))
    if is_pair(x, y) < WORD_OUTWEIGH * max(1, is_pair(y, z)):
        return False
    return lexical is None or not lexical(Word(_syllables(b, exact) + _syllables(c, exact)))


def _joins_next(
    clauses: list[list[Unit]],
    q: int,
    cues: set[int],
    walls: set[int],
    is_word: WordTest,
    exact: bool,
) -> bool:
    """Does the index's word test join query clause q (a plain syllable) and the plain
    syllable after it into one word, with no pause, question cue or wall between?"""
    if q + 1 >= len(clauses) or not _joinable(clauses[q + 1]) or q + 1 in walls:
        return False
    if clauses[q][0].pause or _cue_boundary(cues, q):
        return False
    return is_word(
        _folded_at(clauses, q - 1),
        fold(clauses[q][0].syllables[0]),
        fold(clauses[q + 1][0].syllables[0]),
        _folded_at(clauses, q + 2),
        exact=_readings(clauses[q][0], clauses[q + 1][0], exact),
    )


def _next_word_end(
    clauses: list[list[Unit]],
    q: int,
    cues: set[int],
    walls: set[int],
    is_word: WordTest,
    exact: bool,
    named: dict[int, int],
    is_pair: PairTest | None,
) -> int:
    """The last query clause of the word that begins at clause q with the clause
    after it (chained by the word test, or a pair of two lone syllables), else 0:
    a chain is held or cut whole ("định nghĩa" + "hộ nghèo", never "định nghĩa hộ"
    held by chance, then "nghèo" joined to it)."""
    if _joins_next(clauses, q, cues, walls, is_word, exact):
        while (
            q + 1 < len(clauses)
            and q + 1 not in named
            and _joins_next(clauses, q, cues, walls, is_word, exact)
        ):
            q += 1
        return q
    if (
        is_pair is not None
        and q + 1 < len(clauses)
        and q + 1 not in named
        and q + 1 not in walls
        and _joinable(clauses[q + 1])
        and not clauses[q][0].pause
        and not _cue_boundary(cues, q)
        and not is_function_word(clauses[q][0].restored or clauses[q][0].syllables[0])
        and not is_function_word(clauses[q + 1][0].restored or clauses[q + 1][0].syllables[0])
        and is_pair(fold(clauses[q][0].syllables[0]), fold(clauses[q + 1][0].syllables[0]))
    ):
        return q + 1
    return 0


def _name_begins(clauses: list[list[Unit]], i: int, walls: set[int], is_word: WordTest) -> bool:
    """Query clause i, typed with a capital right after a small letter, begins a name
    the index knows as a word with the capitalised syllable after it: the syllable
    before is no part of it (``người có công An Giang`` is not "công an" + "Giang";
    ``sông Hồng`` still joins)."""
    if not (0 < i < len(clauses) - 1) or i + 1 in walls or clauses[i][0].pause:
        return False
    before, first, then = clauses[i - 1][0], clauses[i][0], clauses[i + 1][0]
    if not (
        before.raw[:1].islower()
        and _joinable(clauses[i + 1])
        and _name_syllable(first)
        and _name_syllable(then)
    ):
        return False
    return is_word(
        fold(before.syllables[-1]),
        fold(first.syllables[0]),
        fold(then.syllables[0]),
        _folded_at(clauses, i + 2),
    )


# The letters after a label's number ("Quốc lộ 1A", "lớp 12B"); others are units.
LABEL_LETTERS = frozenset("abcde")
# Unit types that go on an address after a label ("ấp 3 xã Tân Phú", "tổ 7 khu phố 3").
ADDRESS_UNITS = frozenset(
    fold(w)
    for w in (
        *("tỉnh", "thành phố", "huyện", "quận", "thị xã", "thị trấn", "xã", "phường"),
        *("thôn", "ấp", "bản", "tổ", "khu phố", "tổ dân phố", "khu", "khóm", "đường"),
    )
)
# Administrative units' types that name places, as written ("xã Tân Phú"; see
# _bind_places), and folded.
PLACE_TYPES = (
    *("tỉnh", "thành phố", "huyện", "quận", "thị xã", "thị trấn", "xã", "phường"),
    *("thôn", "ấp", "bản"),
)
PLACE_UNITS = frozenset(fold(w) for w in PLACE_TYPES)
PLACE_TYPE_ENDS = frozenset(w.split()[-1] for w in PLACE_UNITS)
PLACE_WRITTEN = frozenset(" ".join(map(canonical_syllable, w.split())) for w in PLACE_TYPES)
PLACE_WRITTEN_ENDS = frozenset(w.split()[-1] for w in PLACE_WRITTEN)
# A province holds the towns of its name ("thành phố Thanh Hóa"): "tỉnh" stays apart.
BOUND_UNITS = PLACE_UNITS - {"tinh"}
# The most days of each month (a date typed in words may be of any year).
DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# Common middle names: after a family name, a person's name goes on ("le van hung").
FOLDED_MIDDLE_NAMES = frozenset(
    fold(w)
    for w in ("văn", "thị", "hữu", "đức", "đình", "ngọc", "minh", "quang", "xuân", "thanh")
    + ("kim", "hoàng", "quốc", "công", "tuấn", "hồng", "thu", "bá", "như", "khắc")
)
# Syllables that head what follows them (a time, a class): no word takes them.
FOLDED_HEADS = frozenset(
    fold(w)
    for w in ("năm", "ngày", "tháng", "tuần", "quý", "hôm", "sáng", "chiều", "tối", "đêm")
    + ("trưa", "giờ", "lúc", "mùa", "đợt", "kỳ", "khóa", "lần", "lớp", "số", "khối")
)
# Unit types that are numbered, not named, in towns: a number after one is its label.
NUMBERED_UNITS = frozenset(
    fold(w) for w in ("phường", "quận", "tổ", "khu phố", "tổ dân phố", "ấp", "thôn", "khu", "khóm")
)
# What may stand around a label as typed: punctuation, not a sign ("7%").
LABEL_PUNCTUATION = ",.;:!?()[]{}\"'«»“”‘’…"


def _label(syllable: str) -> bool:
    """A number that may label a thing (``3``, ``12``, ``1a``), not a year (``2020``), an
    amount written with separators (``3.000``) or a unit (``5h``, ``150m``)."""
    digits = syllable[:-1] if syllable[-1:] in LABEL_LETTERS else syllable
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 4:
        return False
    return not (len(digits) == 4 and 1900 <= int(digits) <= 2099)


def has_labels(pq: ParsedQuery) -> bool:
    """Does the query hold a number that may label the word before it (see _bind_labels),
    or a unit's type with something after it (see _bind_places)?"""
    if any(_number_unit(u) for c in [*pq.clauses, pq.excluded] for u in c):
        return True
    # A type with something typed after it; "" for what is no plain syllable.
    plain = [fold(c[0].syllables[0]) if _joinable(c) else "" for c in pq.clauses]
    return any(
        " ".join(plain[i : i + n]) in BOUND_UNITS for n in (1, 2) for i in range(len(plain) - n)
    )


def _name_goes_on(
    clauses: list[list[Unit]], q: int, walls: set[int], accented: bool, name: tuple[str, ...]
) -> bool:
    """Does a syllable typed with a capital follow query clause q (the name goes on:
    "xã Tam" of "xã Tam Thanh" is no place)? Not where the name of a province, or of
    a district that has a unit called ``name`` (syllables as typed), follows: it says
    where the place is ("xã Tân Phú Đồng Nai", "xã Bình Mỹ Châu Phú")."""
    after = _unit_at(clauses, q + 1)
    return (
        after is not None
        and not clauses[q][0].pause
        and q + 1 not in walls
        and _plain(after)
        and _name_syllable(after)
        and not _parent_at(clauses, q + 1, accented, name)
    )


def _unit_names(clauses: list[list[Unit]], accented: bool) -> dict[int, int]:
    """Names of a unit and of the district or province that holds it, typed one after
    the other ("Điềm Mặc" + "Định Hóa", "La Hà" + "Tư Nghĩa", and the province after
    the district): the first query clause of each name and its last. Each is one word,
    and no word joins across them (pyvi's *mặc định*, *hà tư*, which would miss both).
    Names typed with capitals (a run's first syllables, after a type or a title), or
    anywhere in a query whose case says nothing: no capital but the first word's, in
    abbreviations or throughout ("xã vĩnh bình hòa bình": not *xã vĩnh*)."""
    typed = [u for c in clauses for u in c]
    lower = not any(
        u.raw[:1].isupper() and not (len(u.raw) > 1 and u.raw.isupper()) for u in typed[1:]
    )

    def plain(q: int) -> bool:
        u = _unit_at(clauses, q)
        return (
            u is not None
            and len(clauses[q]) == 1
            and _plain(u)
            and (_name_syllable(u) or lower and well_formed(fold(u.syllables[0])))
        )

    def key(q: int) -> str:
        return _place_key(clauses[q][0].syllables[0], accented)

    def holder(run: list[str], start: int, k: int) -> int | None:
        # The end of the longest name after run[start:start + k] that holds it.
        return next(
            (
                m
                for m in range(min(len(run), start + k + MAX_PROVINCE_SYLLABLES), start + k + 1, -1)
                if places.within(tuple(run[start : start + k]), tuple(run[start + k : m]), accented)
            ),
            None,
        )

    names: dict[int, int] = {}
    i = 0
    while i < len(clauses):
        if not plain(i):
            i += 1
            continue
        j = i + 1
        while j < len(clauses) and plain(j) and not clauses[j - 1][0].pause:
            j += 1
        run = [key(q) for q in range(i, j)]
        # With capitals, the name begins the run, or follows a type or a title typed
        # with a capital ("Xã Điềm Mặc Định Hóa": a sentence's first word).
        start = next((n for n in (2, 1) if is_name_opener(" ".join(run[:n]), accented)), 0)
        while start + 4 <= len(run):
            # A name of two or three syllables, then one of two or more that holds it.
            found = next(
                ((k, m) for k in (2, 3) for m in [holder(run, start, k)] if m is not None), None
            )
            if found is None:
                if not lower:
                    break
                start += 1
                continue
            k, end = found
            names[i + start] = i + start + k - 1
            # The district, then the province that holds it ("Định Hóa Thái Nguyên").
            while True:
                names[i + start + k] = i + end - 1
                start, k = start + k, end - start - k
                after = holder(run, start, k)
                if after is None:
                    break
                end = after
            start += k
        i = j
    return names


def _place_key(syllable: str, accented: bool) -> str:
    """A syllable of a place's name as the administrative units are looked up: as typed
    (tone-canonical) in a query typed with accents, else folded."""
    syllable = syllable.lower()
    return canonical_syllable(syllable) if accented else fold(syllable)


def _holders(named: dict[int, int]) -> set[int]:
    """Of _unit_names' names, the first clauses of those that hold the name before."""
    return {first for first in named if any(last + 1 == first for last in named.values())}


def _parent_at(clauses: list[list[Unit]], i: int, accented: bool, name: tuple[str, ...]) -> bool:
    """Do the syllables typed with capitals from query clause i begin with a province's
    name (as written in a query typed with accents; else folded alike), or with the
    name of a district that has a unit called ``name``?"""

    provinces = places.province_names(accented)
    run: list[str] = []
    for q in range(i, min(len(clauses), i + MAX_PROVINCE_SYLLABLES)):
        u = _unit_at(clauses, q)
        if u is None or not _plain(u) or not _name_syllable(u):
            break
        run.append(_place_key(u.syllables[0], accented))
        if tuple(run) in provinces or places.within(name, tuple(run), accented):
            return True
        if u.pause:
            break
    return False


def _place_type(units: list[Unit], accented: bool, types: frozenset[str] = PLACE_UNITS) -> bool:
    """Plain syllables typed in small letters that are a unit's type ("xã", "thị xã"),
    as written in a query typed with accents (see _is_type)."""
    return (
        0 < len(units) <= 2
        and all(_plain(u) and u.raw[:1].islower() for u in units)
        and _is_type(tuple(u.syllables[0] for u in units), accented, types)
    )


def _is_type(
    syllables: tuple[str, ...], accented: bool, types: frozenset[str] = PLACE_UNITS
) -> bool:
    """Syllables that are one of ``types`` (folded); in a query typed with accents
    (``accented``), as written: "xa Hà Nội" is far from Hà Nội, "phương Bắc" no ward."""
    if " ".join(fold(x) for x in syllables) not in types:
        return False
    return not accented or " ".join(map(canonical_syllable, syllables)) in PLACE_WRITTEN


def _place_type_end(u: Unit, accented: bool) -> bool:
    """A plain syllable in small letters that ends a unit's type ("xã", "phố" of "thành
    phố"): what a name typed after it may take in on its left (as written in a query
    typed with accents)."""
    if not (_plain(u) and u.raw[:1].islower()):
        return False
    syllable = u.syllables[0]
    if accented:
        return canonical_syllable(syllable) in PLACE_WRITTEN_ENDS
    return fold(syllable) in PLACE_TYPE_ENDS


def _place_forms(u: Unit, aliases: AliasLookup | None, accented: bool) -> list[Word]:
    """A place that ``OR`` or ``-`` took as one phrase with its type's other forms ("TP
    Đà Nẵng" for "thành phố Đà Nẵng"), as _bind_places gives them."""
    if aliases is None or not u.joined or not u.raw[:1].islower():
        return []  # a quoted phrase is as typed
    for n in (2, 1):
        head = tuple(u.syllables[:n])
        if len(u.syllables) > n and _is_type(head, accented):
            name = _syllables(Unit(u.syllables[n:]), True)
            forms = _type_forms(tuple(fold(x) for x in head), name, u.pause, aliases)
            return [w for w, _ in forms]
    return []


def _type_forms(
    folded: tuple[str, ...], name: tuple[Syllable, ...], pause: bool, aliases: AliasLookup
) -> list[tuple[Word, str]]:
    """The other forms of a unit's type (``folded``) before ``name``, each with how it
    is shown ("TP" for "thành phố")."""
    return [
        (Word(tuple(Syllable(x, False) for x in form) + name, pause=pause, alias=True), shown)
        for form, shown in aliases(folded, False)
    ]


def _place_head(run: list[Unit], accented: bool) -> int:
    """How many units a unit's type at the start of ``run`` takes up (0 for none)."""
    for n in (2, 1):
        if len(run) > n and _place_type(run[:n], accented):
            return n
    return 0


def _bind_places(
    plan: Plan,
    spans: list[tuple[int, int] | None],
    clauses: list[list[Unit]],
    cues: set[int],
    walls: set[int],
    is_place: PlaceTest,
    written: NameWritten | None,
    aliases: AliasLookup | None = None,
    accented: bool = False,
) -> list[tuple[int, int] | None]:
    """Join a unit's type typed in small letters to the name typed right after it, when
    other units bear that name (``is_place``): "xã Tân Phú" is the commune, side by
    side in 30 articles, where the type and the name anywhere found 134, most of them
    "huyện Tân Phú" or "quận Tân Phú" with a commune elsewhere. Not where the name is
    the unit's own ("tỉnh Quảng Nam": "Sở Y tế Quảng Nam" is the province too). The
    name is typed with capitals, or in small letters as the articles write a name. The
    engine reads them apart again when that finds nothing. The spans, kept aligned."""
    k = 0
    while k + 1 < len(plan.clauses):
        a, b = spans[k], spans[k + 1]
        if (
            a is None
            or b is None
            or b[0] != a[1] + 1
            or len(plan.clauses[k]) != 1
            or len(plan.clauses[k + 1]) != 1
        ):
            k += 1
            continue
        unit, name = plan.clauses[k][0], plan.clauses[k + 1][0]
        typed = [clauses[q][0] for q in range(a[0], a[1] + 1)]
        if (
            not _is_type(tuple(x.text for x in unit.syllables), accented, BOUND_UNITS)
            or unit.question
            or _name_goes_on(clauses, b[1], walls, accented, tuple(x.text for x in name.syllables))
            or typed[-1].pause
            or b[0] in walls
            or _cue_boundary(cues, a[1])
            # Small letters; a capital first in the query is a sentence's ("Xã Tân Phú").
            or not all(
                u.raw[:1].islower() or (q == 0 and n == 0)
                for n, (q, u) in enumerate(zip(range(a[0], a[1] + 1), typed))
            )
            or not (
                _named(plan.clauses[k + 1], b, clauses)
                or (
                    written is not None
                    and _named(plan.clauses[k + 1], b, clauses, capitals=False)
                    and written(name.folded).name
                )
            )
            or not is_place(unit, name)
        ):
            k += 1
            continue
        # The type's other forms with the name ("TP Thanh Hóa" for "thành phố Thanh
        # Hóa"), shown as an abbreviation's are.
        forms = (
            _type_forms(unit.folded, name.syllables, name.pause, aliases)
            if aliases is not None
            else []
        )
        # Groups made before (a date's figures) move with the clauses after this one.
        plan.aliases = {(i - 1 if i > k else i): a for i, a in plan.aliases.items()}
        if forms:
            named = " ".join(clauses[q][0].raw for q in range(b[0], b[1] + 1))
            plan.aliases[k] = (f"{unit.text} {named}", [f"{shown} {named}" for _, shown in forms])
        bound = [Word(unit.syllables + name.syllables, pause=name.pause)]
        plan.clauses[k : k + 2] = [bound + [w for w, _ in forms]]
        spans[k : k + 2] = [None]
        k += 1
    return spans


def _is_numbering(syllable: str) -> bool:
    """``số`` ("number"), as typed: what follows it is always a label."""
    if has_diacritics(syllable):
        return canonical_syllable(syllable) == "số"
    return fold(syllable) == "so"


def _ends_run(
    clauses: list[list[Unit]], i: int, cues: set[int], walls: set[int], mixed: bool
) -> bool:
    """Is query clause i the last of its run of plain words: nothing, punctuation, an
    operator, a function word or a name (a capital in a query with small letters)
    follows it, or an address goes on ("phường 3 quận 5", "ấp 3 xã Tân Phú")?"""
    unit = clauses[i][0]
    if i + 1 >= len(clauses) or unit.pause or not unit.raw[-1:].isalnum():
        return True
    if i + 1 in walls or _cue_boundary(cues, i) or not _joinable(clauses[i + 1]):
        return True
    after = clauses[i + 1][0]
    if is_function_word(after.syllables[0]) or (mixed and after.raw[:1].isupper()):
        return True
    # A date goes on with its year ("ngày 2 tháng 9 năm 2019", "tháng 9 năm nay").
    then = clauses[i + 2][0] if i + 2 < len(clauses) and len(clauses[i + 2]) == 1 else None
    if (
        fold(after.syllables[0]) == "nam"
        and then is not None
        and (then.syllables[0].isdigit() or fold(then.syllables[0]) in ("nay", "ngoai"))
    ):
        return True
    # Another label after the next word ("khoản 2 điều 5"), or a unit's type and a
    # name or label after it; not a count ("cháy 3 nhà 2 xe": "2 xe" counts too).
    for n in range(1, 4):
        j = i + 1 + n
        if j >= len(clauses) or len(clauses[j]) != 1 or j in walls:
            break
        if not all(_joinable(c) for c in clauses[i + 1 : j]):
            break
        typed = " ".join(fold(c[0].syllables[0]) for c in clauses[i + 1 : j])
        if n > 1 and typed not in ADDRESS_UNITS:
            continue
        then = clauses[j][0]
        if typed in ADDRESS_UNITS and (
            _number_unit(then) or (_plain(then) and then.raw[:1].isupper())
        ):
            return True
        if _number_unit(then) and _ends_run(clauses, j, cues, walls, mixed):
            return True
    return False


def _numbered_unit(clauses: list[list[Unit]], i: int) -> bool:
    """Does a unit's type that is always numbered ("phường", "tổ dân phố") end right
    before query clause i? A number after it is its label, whatever follows."""
    for n in range(1, 4):
        if i - n < 0 or not all(_joinable(c) for c in clauses[i - n : i]):
            break
        if " ".join(fold(c[0].syllables[0]) for c in clauses[i - n : i]) in NUMBERED_UNITS:
            return True
    return False


def _number_unit(unit: Unit) -> bool:
    """A unit that is one label number as typed: no sign beside it (``7%``, ``$5``)
    other than punctuation around it."""
    if unit.phrase or unit.ref_key or len(unit.syllables) != 1 or not _label(unit.syllables[0]):
        return False
    return unit.raw.lower().strip(LABEL_PUNCTUATION) == unit.syllables[0]


def _bind_labels(
    plan: Plan,
    spans: list[tuple[int, int] | None],
    clauses: list[list[Unit]],
    cues: set[int],
    walls: set[int],
    mixed: bool,
    is_pair: PairTest | None,
    aliases: AliasLookup | None = None,
) -> list[tuple[int, int] | None]:
    """Join each number to the word before it when it is that word's label: after a
    content word, at the end of its run or after ``số`` ("Quận 1", "bão số 3", "tuyến số
    2"). A number counts the things after it ("tai nạn 3 người"); as a label, its
    articles hold it beside the word ("phường 3": 49 of the 1,921 articles with both),
    which no pair test of the index could tell from chance (the engine reads numbers
    apart again when the labels find nothing: "GDP 7 8"). A date in words is also
    the date in figures ("ngày 2 tháng 9" and "2/9"). The spans, kept aligned."""

    def before(k: int) -> Word | None:
        # Plan clause k: one word read from plain syllables, nothing between it and
        # the query clause after its span, no abbreviation (it keeps its expansion:
        # "trường THCS số 2").
        span = spans[k]
        if span is None or len(plan.clauses[k]) != 1:
            return None
        q = span[1] + 1
        word = plan.clauses[k][0]
        if word.question or clauses[q - 1][0].pause or q in walls or _cue_boundary(cues, q - 1):
            return None
        if aliases is not None and aliases(
            word.folded, _typed_as_abbreviation(clauses[q - 1][0].raw, word.folded)
        ):
            return None
        return None if is_function_word(word.syllables[-1].text) else word

    last: tuple[int, int] | None = None  # the plan clause and query clause of the last label
    k = 1
    while k < len(plan.clauses):
        span = spans[k - 1]
        i = span[1] + 1 if span is not None else -1
        word = before(k - 1) if 0 < i < len(clauses) else None
        if (
            word is None
            or spans[k] is not None
            or len(clauses[i]) != 1
            or not _number_unit(clauses[i][0])
            or [w.syllables for w in plan.clauses[k]] != [_syllables(clauses[i][0], True)]
        ):
            k += 1
            continue
        numbering = _is_numbering(clauses[i - 1][0].syllables[0])
        always = numbering or _numbered_unit(clauses, i)
        if not always and not _ends_run(clauses, i, cues, walls, mixed):
            k += 1
            continue
        unit = clauses[i][0]
        syllables = word.syllables + plan.clauses[k][0].syllables
        joined = Word(syllables, pause=unit.pause, paired=word.paired, head=word.head)
        plan.clauses[k - 1 : k + 1] = [[joined]]
        spans[k - 1 : k + 1] = [None]
        # With other forms asked for (as abbreviations are): the date in figures too.
        if aliases is not None and last == (k - 2, i - 2) and _date(plan.clauses[k - 2][0], joined):
            day, month = plan.clauses[k - 2][0], joined
            plan.clauses[k - 2 : k] = [[_date_word(day, month), _date_word(day, month, True)]]
            spans[k - 2 : k] = [None]
            plan.aliases[k - 2] = (f"{day.text} {month.text}", [_date_figures(day, month)])
            last = None
            continue
        last = (k - 1, i)
        if numbering and len(word.syllables) == 1 and k >= 2:
            # What "số" numbers, held beside it ("tuyến số 2"; ``is_pair`` is the test
            # OR binds by, kept where "tuyến số" alone is read apart).
            thing = before(k - 2)
            if (
                thing is not None
                and is_pair is not None
                and is_pair(thing.folded[-1], fold(clauses[i - 1][0].syllables[0])) > 0
            ):
                syllables = thing.syllables + syllables
                joined = Word(syllables, pause=unit.pause, paired=thing.paired, head=thing.head)
                plan.clauses[k - 2 : k] = [[joined]]
                spans[k - 2 : k] = [None]
    return spans


def _date(day: Word, month: Word) -> bool:
    """``ngày D`` and ``tháng M``, a day of a month in words."""
    if len(day.syllables) != 2 or len(month.syllables) != 2:
        return False
    (d, n), (m, k) = day.folded, month.folded
    if (d, m) != ("ngay", "thang") or not (n.isdigit() and k.isdigit()):
        return False
    return 1 <= int(k) <= 12 and 1 <= int(n) <= DAYS_IN_MONTH[int(k) - 1]


def _date_word(day: Word, month: Word, figures: bool = False) -> Word:
    """The date as typed in words, or in figures as articles print it ("2/9": 2 and 9
    side by side), another form of it."""
    if figures:
        return Word((day.syllables[1], month.syllables[1]), alias=True)
    return Word(day.syllables + month.syllables, pause=month.pause)


def _date_figures(day: Word, month: Word) -> str:
    return f"{day.syllables[1].text}/{month.syllables[1].text}"


def _unhyphenated(unit: Unit) -> list[Word]:
    """A policy reference as articles also print it, without its hyphens (``78/2013/NĐCP``
    for ``78/2013/NĐ-CP``): another form of the same reference."""
    if not unit.ref_key or "-" not in unit.ref_key:
        return []
    return [Word(_syllables(unit, False), unit.ref_key.replace("-", ""), alias=True)]


def _plain(unit: Unit) -> bool:
    """One plain syllable: no phrase, no reference, no digit."""
    return _joinable([unit])


def _joined_unit(units: list[Unit]) -> Unit:
    """Units side by side as one phrase (a word the index knows)."""
    return Unit(
        [s for u in units for s in u.syllables],
        phrase=True,
        raw=" ".join(u.raw for u in units),
        pause=units[-1].pause,
        joined=True,
    )


def _operators_over_words(
    pq: ParsedQuery,
    is_word: WordTest,
    is_pair: PairTest | None = None,
    aliases: AliasLookup | None = None,
    is_bridge: BridgeTest | None = None,
    exact: bool = True,
    is_name: NameTest | None = None,
    labels: bool = True,
) -> ParsedQuery:
    """``OR`` and ``-`` that bind a whole word the index knows, not one of its syllables.

    ``Lai Châu OR Điện Biên`` is the two provinces, not Lai (Châu or Điện) Biên;
    ``-Hà Nội`` leaves out Hà Nội, not every "hà" while requiring "nội". An
    alternative, or an excluded syllable, takes in the lone syllables beside it
    while the index's word test joins them, or the pair test two lone syllables
    (as words are read in build()), or a function word and the syllable after it
    that the bridge test joins (``-người có công``). No word joins over an
    excluded one.
    """
    clauses: list[list[Unit] | None] = [list(c) for c in pq.clauses]
    walls = set(pq.excluded_then.values())  # clauses typed right after an exclusion

    mixed = any(u.raw[:1].islower() for c in pq.clauses for u in c)
    # The query's first unit, when its capital is a sentence's (see _same_case).
    opening = pq.clauses[0][0] if mixed and pq.clauses and pq.clauses[0] else None

    def joins(
        before: Unit | None,
        run: list[Unit],
        u: Unit,
        left: bool,
        after: Unit | None = None,
        place: bool = True,
    ) -> bool:
        a, b = (u, run[0]) if left else (run[-1], u)
        # A unit's type and the name typed after it are one place ("-quận Tân Phú",
        # "xã Tân Phú OR xã Tân Hiệp"); on the left only where the other alternative
        # begins with a type too ("xã Tân Phú OR Tân Hiệp" keeps "xã" for both).
        if _name_syllable(b) and (
            _place_type(run, pq.accented) if not left else place and _place_type_end(u, pq.accented)
        ):
            return True
        if left and len(run) > 1 and begins_name(a, b, run[1], known=True):
            return False
        if not left and begins_name(a, b, after):
            return False
        # In the readings typed, as build() tests a pair ("bão số OR lũ").
        sa, sb = _syllables(a, exact)[-1], _syllables(b, exact)[0]
        typed = (sa.text if sa.exact else None, sb.text if sb.exact else None)
        if is_word(key(before), fold(a.syllables[-1]), fold(b.syllables[0]), None, exact=typed):
            return True
        if is_pair is None:
            return False
        # Not when b begins a word the index knows ("-cấp xã hội": "xã hội"). A
        # label taken in is no syllable of the pair ("bão" + "số 9").
        if (
            sum(not _number_unit(x) for x in run) == 1
            # A name of one syllable is a term's end only as the last alternative
            # ("miền Trung OR Bắc" is miền and either).
            and _pairs_with(
                a,
                b,
                is_pair,
                aliases,
                sentence=a is opening,
                then=after,
                # As build() reads it: before a small letter, by the stronger tie
                # ("-lễ Quốc khánh" is no "lễ Quốc").
                region=not left
                and (
                    after is None
                    or not _plain(after)
                    or is_function_word(after.syllables[0])
                    or is_pair(fold(b.syllables[0]), fold(after.syllables[0]))
                    <= is_pair(fold(a.syllables[-1]), fold(b.syllables[0]))
                ),
            )
            and not starts_word(b, after)
        ):
            return True
        # A name typed with capitals goes on as far as the index holds it side by
        # side ("-Võ Văn Thưởng" leaves out the person, not "võ văn" alone), as
        # _join_names reads it elsewhere in a query.
        # A title is no part of a name (_join_names); with capitals everywhere, a
        # name begins with a family name.
        # The name after a unit's type taken in before it ("quận" of "-quận Tân Phú").
        name = run[_place_head(run, pq.accented) :]
        first = u if left else name[0] if name else run[0]
        return (
            bool(name)
            and _name_syllable(a)
            and _name_syllable(b)
            and not is_name_opener(a.raw, pq.accented)
            and (mixed or any(_is_family_name(x.syllables[0], pq.accented) for x in (first, a)))
            and is_pair(fold(a.syllables[-1]), fold(b.syllables[0])) > 0
            and (
                one_name([u], name)
                if left
                else one_name(name, [u, *([after] if after and starts_word(u, after) else [])])
            )
        )

    def begins_name(a: Unit, b: Unit | None, then: Unit | None, known: bool = False) -> bool:
        # b, typed with a capital after a's small letter, begins a name the index
        # knows as a word with ``then`` (``known``: already joined): a's word or
        # term ends before it (see _name_begins).
        return (
            mixed
            and a.raw[:1].islower()
            and b is not None
            and then is not None
            and _name_syllable(b)
            and _name_syllable(then)
            and (known or is_word(None, fold(b.syllables[0]), fold(then.syllables[0]), None))
        )

    def one_name(first: list[Unit], then: list[Unit]) -> bool:
        # The run so far and what joins it (with the word that begins there: "Hà
        # Tĩnh" + "Nghệ An") side by side in the index as one name, not two.
        def syls(units: list[Unit]) -> tuple[str, ...]:
            return tuple(fold(s) for u in units for s in u.syllables)

        return is_name is not None and is_name(syls(first), syls(then))

    def starts_word(b: Unit, n: Unit | None) -> bool:
        return (
            n is not None
            and _plain(n)
            and is_word(None, fold(b.syllables[-1]), fold(n.syllables[0]), None)
        )

    def lone(i: int) -> Unit | None:
        c = clauses[i] if 0 <= i < len(clauses) else None
        return c[0] if c is not None and len(c) == 1 and _plain(c[0]) else None

    def bridges(
        x: Unit | None,
        f: Unit | None,
        y: Unit | None,
        before: Unit | None = None,
        after: Unit | None = None,
        then: Unit | None = None,
    ) -> bool:
        # x f y: a term the bridge test joins (see _bridge_function_words).
        if is_bridge is None or x is None or f is None or y is None:
            return False
        if not _bridgeable(x, f, y, aliases, x is opening):
            return False
        if begins_name(y, after, then):
            after = None  # a name, not the term's neighbour ("người có công An Giang")
        syls = tuple(s for u in (x, f, y) for s in _syllables(u, exact))
        return is_bridge(Word(syls, bridged=True), _lone_key(before), _lone_key(after)) > 0

    def key(u: Unit | None) -> str | None:
        return fold(u.syllables[-1]) if u is not None and _plain(u) else None

    def numbered(i: int) -> Unit | None:
        # A lone content syllable at clause i that a label after it may number.
        u = lone(i)
        if u is None or u.pause or is_function_word(u.syllables[0]):
            return None
        return u

    def label(u: Unit, j: int, parallel: bool = False) -> bool:
        # Clause j is a lone number that labels the plain syllable u before it (see
        # _bind_labels); ``parallel``: whatever follows it.
        c = clauses[j] if 0 <= j < len(clauses) else None
        if c is None or len(c) != 1 or not _number_unit(c[0]):
            return False
        if not labels or not _plain(u) or u.pause or is_function_word(u.syllables[-1]):
            return False
        return (
            parallel
            or _is_numbering(u.syllables[-1])
            or fold(u.syllables[-1]) in NUMBERED_UNITS
            or _ends_run(pq.clauses, j, set(), walls, mixed)
        )

    chained: set[int] = set()
    # A chain "Huế OR Đà Nẵng OR Hà Nội" parses as [Huế|Đà][Nẵng|Hà][Nội]: where
    # the last alternative of one clause and the first of the next make a word,
    # they are one alternative of one clause, [Huế|Đà Nẵng|Hà][Nội].
    for i in range(len(clauses) - 1):
        a_clause, b_clause = clauses[i], clauses[i + 1]
        if a_clause is None or b_clause is None or len(a_clause) < 2 or len(b_clause) < 2:
            continue
        a, b = a_clause[-1], b_clause[0]
        if i + 1 in walls or a.pause or not _plain(a):
            continue
        # A label and what it numbers ("quận 1 OR quận 3 OR quận 5" is
        # [quận][1|quận][3|quận][5]).
        tagged = labels and _number_unit(b) and not is_function_word(a.syllables[0])
        if tagged or (
            _plain(b) and is_word(None, fold(a.syllables[-1]), fold(b.syllables[0]), None)
        ):
            clauses[i + 1] = [*a_clause[:-1], _joined_unit([a, b]), *b_clause[1:]]
            clauses[i] = None
            chained.add(i)
    # And where they make a term with the function word between them ("thương binh
    # OR người có công OR liệt sĩ" is [thương|binh|người][có][công|liệt][sĩ]).
    for i in range(len(clauses) - 2):
        # The next clause may be one a word chain above merged forward.
        k = i + 2
        while k < len(clauses) and clauses[k] is None:
            k += 1
        a_clause = clauses[i]
        b_clause = clauses[k] if k < len(clauses) else None
        if (
            a_clause is None
            or b_clause is None
            or len(a_clause) < 2
            or len(b_clause) < 2
            or walls.intersection(range(i + 1, k + 1))
        ):
            continue
        a, f, b = a_clause[-1], lone(i + 1), b_clause[0]
        if f is not None and bridges(a, f, b):
            clauses[k] = [*a_clause[:-1], _joined_unit([a, f, b]), *b_clause[1:]]
            clauses[i] = clauses[i + 1] = None
            chained.update((i, i + 1))
    for i, clause in enumerate(clauses):
        # Its ends take in what stands beside them (a word merged in between is whole).
        if clause is None or len(clause) < 2:
            continue
        if not all(_plain(u) or _number_unit(u) for u in (clause[0], clause[-1])):
            continue
        left, right = [clause[0]], [clause[-1]]
        j = i - 1
        while j in chained:  # the clauses a chain was merged from
            j -= 1
        if _number_unit(left[0]) and not _number_unit(right[0]):
            # A label and what it numbers ("Quận 1 OR Quận 3"), unless the other
            # alternative is a number too ("Quận 1 OR 3": quận, and 1 or 3). Else it
            # stands alone: nothing joins a number.
            u = numbered(j)
            if u is not None and j + 1 not in walls and labels:
                left.insert(0, u)
                clauses[j] = None
                j -= 1
        x, f = lone(j - 1), lone(j)
        if (
            _plain(left[0])
            and x is not None
            and f is not None
            and i not in walls
            and j not in walls
            and bridges(x, f, left[0], before=lone(j - 2))
        ):
            left[:0] = [x, f]
            clauses[j - 1] = clauses[j] = None
            j -= 2
        # The other alternative begins with a unit's type ("xã Tân Phú OR xã Tân Hiệp").
        parallel = _place_type_end(clause[-1], pq.accented) or (
            i + 1 < len(clauses)
            and (c := clauses[i + 1]) is not None
            and len(c) == 1
            and _place_type([clause[-1], c[0]], pq.accented)
        )
        while _plain(left[0]) and (u := lone(j)) is not None and not u.pause and j + 1 not in walls:
            after = left[1] if len(left) > 1 else None
            if not joins(lone(j - 1), left, u, left=True, after=after, place=parallel):
                break
            left.insert(0, u)
            clauses[j] = None
            j -= 1
        j = i + 1
        f, y = lone(j), lone(j + 1)
        if (
            f is not None
            and y is not None
            and {j, j + 1}.isdisjoint(walls)
            and bridges(right[0], f, y, after=lone(j + 2), then=lone(j + 3))
        ):
            right += [f, y]
            clauses[j] = clauses[j + 1] = None
            j += 2
        while (
            _plain(right[-1])
            and (u := lone(j)) is not None
            and not right[-1].pause
            and j not in walls
        ):
            before = right[-2] if len(right) > 1 else None
            if not joins(before, right, u, left=False, after=lone(j + 1)):
                break
            right.append(u)
            clauses[j] = None
            j += 1
        # After a label, the other alternative's number is one too ("Quận 1 OR Quận 3
        # chỉnh trang").
        if j not in walls and label(right[-1], j, _number_unit(clause[0])):
            right.append(pq.clauses[j][0])
            clauses[j] = None
        if len(left) > 1 or len(right) > 1:
            middle = clause[1:-1]
            clause[:] = [_joined_unit(left), *middle, _joined_unit(right)]
    excluded = list(pq.excluded)
    follows: dict[int, int] = {}  # exclusion -> the clause now right after it
    for e, first in pq.excluded_then.items():
        unit = excluded[e]
        run = [unit]
        j = first
        f, y = lone(first), lone(first + 1)
        if (
            f is not None
            and y is not None
            and first + 1 not in walls
            and bridges(unit, f, y, after=lone(first + 2), then=lone(first + 3))
        ):
            run += [f, y]
            clauses[first] = clauses[first + 1] = None
            j += 2
        while (
            _plain(unit)
            and (u := lone(j)) is not None
            and not run[-1].pause
            and (j == first or j not in walls)
            and joins(run[-2] if len(run) > 1 else None, run, u, left=False, after=lone(j + 1))
        ):
            run.append(u)
            clauses[j] = None
            j += 1
        if (j == first or j not in walls) and label(run[-1], j):
            run.append(pq.clauses[j][0])
            clauses[j] = None
            j += 1
        follows[e] = j
        if len(run) > 1:
            excluded[e] = _joined_unit(run)
    if all(c is not None for c in clauses) and excluded == pq.excluded:
        return pq
    renumbered: dict[int, int] = {}
    kept: list[list[Unit]] = []
    for i, c in enumerate(clauses):
        if c is not None:
            renumbered[i] = len(kept)
            kept.append(c)
    then = {e: renumbered[j] for e, j in follows.items() if j in renumbered}
    return ParsedQuery(pq.text, kept, excluded, pq.accented, then)


def _bridge_function_words(
    plan: Plan,
    lone: dict[int, int],
    clauses: list[list[Unit]],
    cues: set[int],
    walls: set[int],
    aliases: AliasLookup | None,
    spans: list[tuple[int, int] | None],
    is_bridge: BridgeTest,
    mixed: bool,
) -> tuple[list[tuple[int, int] | None], dict[int, int]]:
    """Join a function word typed between two lone content syllables to both, as one
    term, where the index holds the three side by side as one (``is_bridge``); the
    ``spans`` and ``lone`` syllables of the new plan clauses.

    ``người có công`` is a term (people honoured for their service), but pyvi
    never joins it, and function words are never paired: its three syllables,
    among the commonest, matched 12,526 of 20,000 articles anywhere, while 145
    hold the term. A conjunction is no bridge (``bão và lũ`` wants both, in any
    order), nor a function word beside a word of several syllables (``hộ nghèo
    ở Lai Châu`` is not one phrase). The syllables typed just before and after
    go to the test, which keeps a term they make with its ends whole (``tàu cá
    bị chìm`` is no "cá bị chìm"; ``cấp lại giấy chứng nhận`` keeps *giấy chứng
    nhận*).
    """
    out: list[list[Word]] = []
    out_spans: list[tuple[int, int] | None] = []
    out_lone: dict[int, int] = {}
    k = 0
    while k < len(plan.clauses):
        q = lone.get(k)
        if (
            q is not None
            and lone.get(k + 1) == q + 1
            and lone.get(k + 2) == q + 2
            and _bridges(clauses[q : q + 3], cues, walls, aliases, q, q == 0 and mixed)
        ):
            a, f, b = (plan.clauses[k + i][0] for i in range(3))
            word = Word(a.syllables + f.syllables + b.syllables, pause=b.pause, bridged=True)
            # Only a lone syllable beside: one inside a word is that word's.
            before = (
                _neighbour(clauses, cues, walls, q - 1, q) if lone.get(k - 1) == q - 1 else None
            )
            after = (
                _neighbour(clauses, cues, walls, q + 3, q + 2) if lone.get(k + 3) == q + 3 else None
            )
            held = 0 if _in_alias_run(clauses, q, aliases) else is_bridge(word, before, after)
            if held and _overtaken(
                plan, lone, clauses, cues, walls, aliases, k, q, is_bridge, held
            ):
                held = 0
            if held:
                out.append([word])
                out_spans.append((q, q + 2))
                k += 3
                continue
        if q is not None:
            out_lone[len(out)] = q
        out.append(plan.clauses[k])
        out_spans.append(spans[k])
        k += 1
    plan.clauses = out
    return out_spans, out_lone


def _overtaken(
    plan: Plan,
    lone: dict[int, int],
    clauses: list[list[Unit]],
    cues: set[int],
    walls: set[int],
    aliases: AliasLookup | None,
    k: int,
    q: int,
    is_bridge: BridgeTest,
    held: int,
) -> bool:
    """True when the bridge's last syllable (plan clause k + 2) begins another bridge
    that more articles hold: that one is the term (``xây nhà cho người có công`` is
    *người có công*, 145 articles, not *nhà cho người*, 43, most of them followed by
    *có công*)."""
    if not (
        lone.get(k + 3) == q + 3
        and lone.get(k + 4) == q + 4
        and _bridges(clauses[q + 2 : q + 5], cues, walls, aliases, q + 2, False)
        and not _in_alias_run(clauses, q + 2, aliases)
    ):
        return False
    a, f, b = (plan.clauses[k + 2 + i][0] for i in range(3))
    word = Word(a.syllables + f.syllables + b.syllables, pause=b.pause, bridged=True)
    after = _neighbour(clauses, cues, walls, q + 5, q + 4) if lone.get(k + 5) == q + 5 else None
    return is_bridge(word, None, after) > held


def _neighbour(
    clauses: list[list[Unit]], cues: set[int], walls: set[int], i: int, j: int
) -> str | None:
    """The folded syllable of query clause i that stands beside clause j (i = j ± 1)
    in one run, when it is a plain content syllable (a term may hold both)."""
    if not 0 <= i < len(clauses) or len(clauses[i]) != 1 or _cue_boundary(cues, min(i, j)):
        return None
    unit = clauses[i][0]
    first = unit if i < j else clauses[j][0]
    if first.pause or max(i, j) in walls or unit.ref_key:
        return None
    syl = unit.syllables[-1] if i < j else unit.syllables[0]
    if (
        is_function_word(unit.restored or syl)
        or any(c.isdigit() for c in syl)
        or not well_formed(fold(syl))
    ):
        return None
    return fold(syl)


def _lone_key(u: Unit | None) -> str | None:
    """The folded syllable of a lone content syllable (a bridge's neighbour), else None."""
    if u is None or not _plain(u) or is_function_word(u.restored or u.syllables[0]):
        return None
    return fold(u.syllables[0])


def _in_alias_run(clauses: list[list[Unit]], q: int, aliases: AliasLookup | None) -> bool:
    """True when a known form of several words (``giấy chứng nhận``: GCN) begins at the
    bridge's last syllable (query clause q + 2) or ends at its first (clause q)."""
    if aliases is None:
        return False
    run: tuple[str, ...] = ()
    for i in range(q + 2, min(len(clauses), q + 2 + MAX_ALIAS_WORDS)):
        c = clauses[i]
        if len(c) != 1 or c[0].ref_key:
            break
        run += tuple(fold(s) for s in c[0].syllables)
        if i > q + 2 and aliases(run, False):
            return True
    return _ends_alias(clauses, q - 1, q, aliases)


def _bridges(
    run: list[list[Unit]],
    cues: set[int],
    walls: set[int],
    aliases: AliasLookup | None,
    q: int,
    sentence: bool,
) -> bool:
    """Query clauses q..q+2 are syllable, function word (no conjunction), syllable, typed
    as one run (see _bridge_function_words); ``sentence``: the first one's capital
    is a sentence's ("Người có công")."""
    if q + 1 in walls or q + 2 in walls or _cue_boundary(cues, q) or _cue_boundary(cues, q + 1):
        return False
    a, f, b = (c[0] for c in run)
    return _bridgeable(a, f, b, aliases, sentence)


def _bridgeable(a: Unit, f: Unit, b: Unit, aliases: AliasLookup | None, sentence: bool) -> bool:
    """Syllable, function word (no conjunction), syllable, with no clause end between,
    that may be one term; ``sentence``: ``a``'s capital begins the query."""
    if a.pause or f.pause or not (_plain(a) and _plain(f) and _plain(b)):
        return False
    middle = f.syllables[0]
    if not is_function_word(f.restored or middle) or _is_conjunction(middle):
        return False
    if f.raw[:1].isupper() and not a.raw[:1].isupper():
        return False  # a capital after a small letter begins a sentence ("nước. Tại khu")
    return _content(a, aliases) and _content(b, aliases) and _same_case(a, b, sentence)


def _same_case(
    a: Unit,
    b: Unit,
    sentence: bool,
    then: Unit | None = None,
    pair: bool = False,
    before: Unit | None = None,
) -> bool:
    """Both typed with a capital or both without (or every letter a capital): not a
    word beside a name ("xã Tà Tổng"). ``sentence``: ``a``'s capital begins the query,
    as a sentence's does, and says nothing ("Hộ nghèo"). A small letter before a
    name of one syllable may be one term with it: "miền Trung", "miền Bắc" are
    regions, not "miền" anywhere, when two lone syllables ``pair``. The name ends the
    query or a clause, or a small letter follows (``then``, the unit after ``b``; the
    stronger tie takes it: "miền Trung mưa" against "ông Thủ tướng"), not another
    capital (a name goes on: "xã Tà Tổng"). A lone capital between small letters
    (``before``, the unit typed before ``a``) is a term's own, as official prose
    writes titles and holidays ("lễ Quốc khánh", "đồng chí Bí thư"), not a name's
    end ("Tân Phú xã": a capital before it)."""
    if (sentence or _lone_capital(a, before)) and not b.raw[:1].isupper():
        return True
    if a.raw[:1].isupper() == b.raw[:1].isupper() or (a.raw + b.raw).isupper():
        return True
    return (
        pair
        and a.raw[:1].islower()
        and _name_syllable(b)
        and (
            then is None
            or b.pause
            or (
                _plain(then)
                and then.raw[:1].islower()
                # A person's title and a given name: the small letter after it is
                # what the person does ("bà Hoa bán rau"), no name's term.
                and (is_function_word(then.syllables[0]) or not _person_title(a))
            )
        )
    )


def _lone_capital(a: Unit, before: Unit | None) -> bool:
    """``a`` is a capitalised syllable typed right after a plain small-letter word or a
    punctuation mark (a clause's first word)."""
    return (
        before is not None
        and (before.pause or (_plain(before) and before.raw[:1].islower()))
        and _name_syllable(a)
        # After a person's title the capital is a given name ("ông Tư trồng lúa").
        and not _person_title(before)
    )


PERSON_TITLES = frozenset(
    canonical_syllable(w)
    for w in ("ông", "bà", "anh", "chị", "cô", "chú", "bác", "cụ", "thầy", "cháu", "em", "bé")
)
FOLDED_PERSON_TITLES = frozenset(fold(w) for w in PERSON_TITLES)


def _person_title(u: Unit) -> bool:
    """A person's title typed in small letters (a capital after it is a given name)."""
    if not _plain(u) or not u.raw[:1].islower():
        return False
    syllable = u.syllables[0]
    if has_diacritics(syllable):
        return canonical_syllable(syllable) in PERSON_TITLES
    return fold(syllable) in FOLDED_PERSON_TITLES


def _unit_at(clauses: list[list[Unit]], q: int) -> Unit | None:
    """The first unit of query clause q, if there is one."""
    return clauses[q][0] if 0 <= q < len(clauses) and clauses[q] else None


def _is_conjunction(syllable: str) -> bool:
    """A conjunction (``và``): typed without accents, any that folds alike."""
    if has_diacritics(syllable):
        return canonical_syllable(syllable) in CONJUNCTIONS
    return fold(syllable) in FOLDED_CONJUNCTIONS


def _pair_lone_syllables(
    plan: Plan,
    lone: dict[int, int],
    clauses: list[list[Unit]],
    cues: set[int],
    is_pair: PairTest,
    walls: set[int],
    aliases: AliasLookup | None,
    spans: list[tuple[int, int] | None],
    mixed: bool = True,
) -> list[tuple[int, int] | None]:
    """Join two adjacent syllables that stand alone in the plan into one word; the
    ``spans`` of the new plan clauses.

    pyvi leaves many terms of two syllables apart in running text (``cấp xã``,
    ``hộ nghèo``, ``giảm nghèo``), so the word test above does not join them,
    and their syllables would match anywhere in an article: ``cấp xã`` 789
    articles of 3,000 where 61 hold the term. Typed side by side, two content
    syllables mean the term, so they must stand side by side too, when the
    index holds them so (``is_pair``); function words (``ở``, ``của``),
    abbreviations (``UBND``: its expansion stays an alternative) and a lower-case
    word beside a capitalised name (``xã Tà Tổng``) stay apart. The engine reads
    the query again without this when the pair holds too few of the articles
    with both syllables (a free combination, ``nhà cháy``, not a term).
    """
    out: list[list[Word]] = []
    out_spans: list[tuple[int, int] | None] = []
    k = 0
    while k < len(plan.clauses):
        clause = plan.clauses[k]
        q = lone.get(k)
        nxt = lone.get(k + 1)
        if (
            q is not None
            and nxt == q + 1
            and not clause[0].pause
            and not _cue_boundary(cues, q)
            and q + 1 not in walls
            and _pairs_with(
                clauses[q][0],
                clauses[q + 1][0],
                is_pair,
                aliases,
                # A sentence's capital, when no third lone syllable might pair instead.
                sentence=q == 0 and mixed and lone.get(k + 2) != q + 2,
                then=_unit_at(clauses, q + 2),
                before=_unit_at(clauses, q - 1),
                # Typed in a short query, "một" counts what follows ("một cửa", the
                # one-stop office), as other numbers do; in a long one, it is "a".
                counted=not plan.long,
            )
            and (
                held := _held_after(plan, lone, spans, clauses, cues, walls, aliases, is_pair, k, q)
            )
            <= is_pair(fold(clauses[q][0].syllables[0]), fold(clauses[q + 1][0].syllables[0]))
            # "một" takes only a syllable that nothing after it holds: "một cơn lốc"
            # is *cơn lốc*, however often "một con" stands side by side folded.
            and not (held and _numeral(clauses[q][0]))
        ):
            a, b = clause[0], plan.clauses[k + 1][0]
            out.append([Word(a.syllables + b.syllables, pause=b.pause, paired=True)])
            out_spans.append((q, q + 1))
            k += 2
            continue
        if _trailing(plan, lone, spans, clauses, cues, walls, aliases, is_pair, k):
            # A word and the lone syllable typed after it: one term ("công an" + "xã").
            w, c = plan.clauses[k][0], plan.clauses[k + 1][0]
            out.append([Word(w.syllables + c.syllables, pause=c.pause, paired=True, tail=True)])
            out_spans.append((spans[k][0], lone[k + 1]))  # type: ignore[index]
            k += 2
            continue
        if q is not None and _binding(plan, spans, clauses, cues, walls, aliases, is_pair, k, q):
            # A syllable bound to the word after it: one term ("tổ" + "dân phố").
            w = plan.clauses[k + 1][0]
            out.append([Word(clause[0].syllables + w.syllables, pause=w.pause, paired=True)])
            out_spans.append((q, spans[k + 1][1]))  # type: ignore[index]
            k += 2
            continue
        out.append(clause)
        out_spans.append(spans[k])
        k += 1
    plan.clauses = out
    return out_spans


def _trailing(
    plan: Plan,
    lone: dict[int, int],
    spans: list[tuple[int, int] | None],
    clauses: list[list[Unit]],
    cues: set[int],
    walls: set[int],
    aliases: AliasLookup | None,
    is_pair: PairTest,
    k: int,
) -> bool:
    """Does the lone syllable of plan clause k + 1 pair with the end of the word of plan
    clause k, as two lone syllables pair: typed side by side and held side by side in
    the index ("công an" + "xã")? Not when it pairs with a lone syllable after it ("chi
    trả" + "lương hưu"), is bound to the word after it ("dịch vụ" + "công trực tuyến"),
    or stands before that word more often ("sửa chữa" + "đường giao thông": "đường
    giao" 411 times, "chữa đường" 29). The engine judges it as any pair: "công an xã"
    stands side by side in 450 of the 2,996 articles holding "công an" and "xã", a
    term; "chuyển đổi số" in 3 of 546, a free combination read apart."""
    span = spans[k]
    q = lone.get(k + 1)
    if span is None or span[1] == span[0] or q != span[1] + 1 or len(plan.clauses[k]) != 1:
        return False
    word = plan.clauses[k][0]
    if word.ref_key is not None or word.bridged or word.question:
        return False
    # What may begin a person's name goes on as the name rules read it ("Lê Văn" +
    # "Sang", "le van hung"): a family name, then a capital or a middle name.
    first = word.syllables[0]
    if _is_family_name(first.text, first.accented) and (
        all(clauses[x][0].raw[:1].isupper() for x in range(span[0], span[1] + 1))
        or word.folded[1] in FOLDED_MIDDLE_NAMES
    ):
        return False
    # A known form ending with the word keeps it whole ("hội đồng nhân dân" + "tỉnh":
    # HĐND; "nhà văn hóa" + "xã": NVH).
    if _ends_alias(clauses, span[0], q - 1, aliases):
        return False
    a, c = clauses[q - 1][0], clauses[q][0]
    # A time or a class goes with what follows it ("tuyển sinh" + "năm 2019", "năm
    # nay"; "học sinh" + "lớp 12"), as does any syllable before a number.
    if fold(c.syllables[0]) in FOLDED_HEADS or (
        q + 1 < len(clauses) and any(ch.isdigit() for u in clauses[q + 1] for ch in u.raw)
    ):
        return False
    if a.pause or q in walls or _cue_boundary(cues, q - 1) or not _plain(a):
        return False
    # The word's end may be any syllable ("tương lai" + "gần"); the one it takes, a
    # content syllable of the same case.
    if not _content(c, aliases) or not _same_case(a, c, sentence=False):
        return False
    n = is_pair(word.folded[-1], fold(c.syllables[0]))
    if not n:
        return False
    if c.pause or q + 1 in walls or _cue_boundary(cues, q):
        return True
    if lone.get(k + 2) == q + 1:
        d = clauses[q + 1][0]
        return not _pairs_with(c, d, is_pair, aliases, then=_unit_at(clauses, q + 2))
    nxt = spans[k + 2] if k + 2 < len(spans) else None
    if nxt is None or nxt[0] != q + 1 or len(plan.clauses[k + 2]) != 1:
        return True
    if _binding(plan, spans, clauses, cues, walls, aliases, is_pair, k + 1, q):
        return False
    return n > is_pair(fold(c.syllables[0]), plan.clauses[k + 2][0].folded[0])


def _ends_alias(
    clauses: list[list[Unit]], first: int, last: int, aliases: AliasLookup | None
) -> bool:
    """Is a known form (``hội đồng nhân dân``: HĐND) the run of query clauses ending at
    ``last``, from ``first`` or earlier?"""
    if aliases is None or last >= len(clauses):
        return False
    run: tuple[str, ...] = ()
    for i in range(last, max(-1, last - MAX_ALIAS_WORDS), -1):
        c = clauses[i]
        if len(c) != 1 or c[0].ref_key:
            break
        run = tuple(fold(x) for x in c[0].syllables) + run
        if i <= first and aliases(run, False):
            return True
    return False


def _held_after(
    plan: Plan,
    lone: dict[int, int],
    spans: list[tuple[int, int] | None],
    clauses: list[list[Unit]],
    cues: set[int],
    walls: set[int],
    aliases: AliasLookup | None,
    is_pair: PairTest,
    k: int,
    q: int,
) -> int:
    """How strongly the pair's second syllable (query clause q + 1) holds to what follows
    it: the lone syllable after it, as a pair (``mới nâng cao`` is *nâng cao*, 2,115
    times side by side, not *mới nâng*), or the word after it, bound (see _binding);
    0 for neither. The stronger tie takes the syllable; a tie keeps the pair before."""
    if lone.get(k + 2) != q + 2:
        return _binding(plan, spans, clauses, cues, walls, aliases, is_pair, k + 1, q + 1)
    b, c = clauses[q + 1][0], clauses[q + 2][0]
    if b.pause or q + 2 in walls or _cue_boundary(cues, q + 1):
        return 0
    if not _pairs_with(
        b, c, is_pair, aliases, then=_unit_at(clauses, q + 3), before=_unit_at(clauses, q)
    ):
        return 0
    return is_pair(fold(b.syllables[0]), fold(c.syllables[0]))


def _binding(
    plan: Plan,
    spans: list[tuple[int, int] | None],
    clauses: list[list[Unit]],
    cues: set[int],
    walls: set[int],
    aliases: AliasLookup | None,
    is_pair: PairTest,
    k: int,
    q: int,
) -> int:
    """How often the lone syllable of plan clause k (query clause q) stands right before
    the word of several syllables that follows it, when that is at least BIND_SHARE of
    the word's own occurrences and no more than them: the syllable is bound to the word,
    one term that pyvi cuts ("tổ" + "dân phố": 333 of 382; "Bộ" + "Tài chính": 2,198 of
    4,443); else 0 ("xã" + "nông thôn": 58 of 2,531)."""
    span = spans[k + 1] if k + 1 < len(spans) else None
    if span is None or span[0] != q + 1 or span[1] == span[0] or len(plan.clauses[k + 1]) != 1:
        return 0
    b, w = clauses[q][0], clauses[q + 1][0]
    if b.pause or q + 1 in walls or _cue_boundary(cues, q) or not _plain(w):
        return 0
    if not _content(b, aliases) or not _same_case(
        b, w, sentence=False, before=_unit_at(clauses, q - 1)
    ):
        return 0
    word = plan.clauses[k + 1][0]
    # A word the index's word test joined; not a term the pair or bridge tests made,
    # nor what may begin a person's name ("xã" + "Võ Văn").
    if len(word.syllables) < 2 or word.ref_key is not None or word.bridged or word.question:
        return 0
    first = word.syllables[0]
    if _is_family_name(first.text, first.accented):
        return 0
    n = is_pair(fold(b.syllables[0]), word.folded[0])
    own = is_pair(word.folded[0], word.folded[1])
    # A unit's type or a title is seldom part of the name after it ("Tỉnh" + "Hòa
    # Bình"): only where the index has it before most of the name's occurrences
    # ("tỉnh" + "Thừa Thiên").
    opener = is_name_opener(b.syllables[0], has_diacritics(b.syllables[0]))
    share = OPENER_BIND_SHARE if opener else BIND_SHARE
    # More often than the word itself: a pair of its own elsewhere ("triệu đồng" before
    # "dòng chảy", folded alike), which says nothing of this word.
    return n if own and share * own <= n <= own else 0


def _join_names(
    plan: Plan,
    spans: list[tuple[int, int] | None],
    clauses: list[list[Unit]],
    cues: set[int],
    is_pair: PairTest,
    walls: set[int],
    mixed: bool,
    accented: bool,
    written: NameWritten | None = None,
) -> list[tuple[int, int] | None]:
    """Join a run of capitalised words into one name, the way a pair is joined; the
    ``spans`` of the new plan clauses. A name typed in small letters is joined where
    the articles write it as one (``written``, see _small_name).

    pyvi often cuts a name of three syllables into a word and a syllable
    (``Võ Văn`` + ``Thưởng``) and leaves two names typed side by side apart
    (``Điện Biên`` + ``Phủ``); apart, their syllables match anywhere in an
    article. Every syllable typed with a capital (not in capitals throughout,
    as abbreviations are) and the index holding them side by side: one name,
    marked ``paired`` so that the engine reads it apart again when it is a
    free combination (``Hà Nội Đà Nẵng``: two cities, rarely side by side).
    Where every word was typed with a capital (``mixed`` False), and for the
    query's first word (a sentence's capital: "Về Đà Nẵng"), only a run that
    begins with a family name is a name. A unit's type or a title (``Tỉnh``,
    ``Ông``) begins none. ``accented``: the query was typed with accents, so a
    syllable without them is as typed ("Chu" is no "chú").
    """
    out: list[list[Word]] = []
    out_spans: list[tuple[int, int] | None] = []
    k = 0
    while k < len(plan.clauses):
        m = k
        span = spans[k]
        capital = mixed and span is not None and span[0] > 0
        starts = not _opens(plan.clauses[k], accented) and (
            capital or _family(plan.clauses[k], accented)
        )
        while (
            starts
            and m + 1 < len(plan.clauses)
            and _name_link(plan, spans, clauses, cues, is_pair, walls, m)
        ):
            m += 1
        if m == k and written is not None:
            m = _small_name(plan, spans, clauses, cues, is_pair, walls, k, accented, written)
        if m > k:
            run = [c[0] for c in plan.clauses[k : m + 1]]
            syls = tuple(s for w in run for s in w.syllables)
            head = len(syls) - len(run[-1].syllables)
            out.append([Word(syls, pause=run[-1].pause, paired=True, head=head)])
            first, last = spans[k], spans[m]
            out_spans.append((first[0], last[1]) if first and last else None)
        else:
            out.append(plan.clauses[k])
            out_spans.append(spans[k])
        k = m + 1
    plan.clauses = out
    return out_spans


def _small_name(
    plan: Plan,
    spans: list[tuple[int, int] | None],
    clauses: list[list[Unit]],
    cues: set[int],
    is_pair: PairTest,
    walls: set[int],
    k: int,
    accented: bool,
    written: NameWritten,
) -> int:
    """The last plan clause of a name typed in small letters from clause k, or k.

    ``vo van thuong`` is read by pyvi's words as *võ văn* + *thưởng*, which
    matched 394 articles of 20,000, mostly other Võ Văns rewarded; 50 hold the
    person. The index folds case, so the articles decide: a run that begins with
    a family name, whose parts the pair test joins, and that the articles holding
    it write with a capital on every syllable (``written``) is one name, like a
    name typed with capitals (marked ``paired``). ``hỗ trợ người`` also begins
    with a family name ("Hồ"), but is written in small letters.
    """
    if not _named(plan.clauses[k], spans[k], clauses, False, True) or not _family(
        plan.clauses[k], accented
    ):
        return k
    m, syls = k, plan.clauses[k][0].folded
    while m + 1 < len(plan.clauses) and _name_link(
        plan, spans, clauses, cues, is_pair, walls, m, capitals=False
    ):
        then = syls + plan.clauses[m + 1][0].folded
        if len(then) > MAX_NAME_SYLLABLES or not written(then).name:
            break
        m, syls = m + 1, then
    return m


def _name_link(
    plan: Plan,
    spans: list[tuple[int, int] | None],
    clauses: list[list[Unit]],
    cues: set[int],
    is_pair: PairTest,
    walls: set[int],
    m: int,
    capitals: bool = True,
) -> bool:
    """True when plan clauses m and m + 1 are parts of one name, typed with capitals
    (see _join_names) or, ``capitals`` False, in small letters (see _small_name)."""
    a, b = spans[m], spans[m + 1]
    if a is None or b is None or not _named(plan.clauses[m], a, clauses, capitals, True):
        return False
    if not _named(plan.clauses[m + 1], b, clauses, capitals):
        return False
    if plan.clauses[m][0].pause or b[0] in walls or _cue_boundary(cues, a[1]):
        return False
    return is_pair(plan.clauses[m][0].folded[-1], plan.clauses[m + 1][0].folded[0]) > 0


def _name_syllable(u: Unit) -> bool:
    """A plain syllable typed with a capital, not in capitals throughout (``UBND``)."""
    raw = u.raw
    return (
        _plain(u)
        and raw[:1].isupper()
        and not (len(raw) > 1 and raw.isupper())
        and well_formed(fold(u.syllables[0]))
    )


def _opens(clause: list[Word], accented: bool) -> bool:
    """True for a unit's type or a person's title (``Tỉnh``, ``Ông``): a name follows it."""
    return is_name_opener(clause[0].text, accented)


def _family(clause: list[Word], accented: bool) -> bool:
    """True when the clause's word begins with a family name (see _is_family_name)."""
    return _is_family_name(clause[0].syllables[0].text, accented)


def _is_family_name(syllable: str, accented: bool) -> bool:
    """A common family name; in a query typed without accents, any that folds alike."""
    syllable = syllable.lower()
    if accented:
        return canonical_syllable(syllable) in FAMILY_NAMES
    return fold(syllable) in FOLDED_FAMILY_NAMES


def is_name_opener(text: str, accented: bool) -> bool:
    """True for a unit's type or a person's title (``tỉnh``, ``ông``, ``chủ tịch``); in a
    query typed without accents (``accented`` False), any that folds alike."""
    if accented:
        return " ".join(map(canonical_syllable, text.lower().split())) in NAME_OPENERS
    return fold(text.lower()) in FOLDED_NAME_OPENERS


def _named(
    clause: list[Word],
    span: tuple[int, int] | None,
    clauses: list[list[Unit]],
    capitals: bool = True,
    first: bool = False,
) -> bool:
    """A plan clause of one word whose every syllable was typed as part of a name: with a
    capital (not in capitals throughout), or with ``capitals`` False in small letters
    (the query's first syllable may have a sentence's capital when ``first``)."""
    if span is None or len(clause) != 1 or clause[0].question:
        return False
    for q in range(span[0], span[1] + 1):
        raw = clauses[q][0].raw
        syl = clauses[q][0].syllables[0]
        capital = raw[:1].isupper() and not (len(raw) > 1 and raw.isupper())
        if not (capital if capitals else raw[:1].islower() or (first and q == 0 and capital)):
            return False
        # No function-word test: capitals make a name of "Van" (not "vẫn"), and
        # without accents names hold them ("vo van").
        if not well_formed(fold(syl)):
            return False
    return True


def _pairs_with(
    a: Unit,
    b: Unit,
    is_pair: PairTest,
    aliases: AliasLookup | None,
    sentence: bool = False,
    then: Unit | None = None,
    region: bool = True,
    before: Unit | None = None,
    counted: bool = False,
) -> bool:
    """Two lone plain syllables that the pair test may join (see _pair_lone_syllables);
    ``sentence``: ``a`` begins the query, its capital a sentence's; ``then``: the unit
    typed after ``b``, if any; ``region``: a small letter may pair with a name of one
    syllable (see _same_case); ``before``: the unit typed before ``a``; ``counted``:
    ``a`` may be the numeral *một* (see _pair_lone_syllables)."""
    if not (_content(a, aliases) or (counted and _numeral(a))) or not _content(b, aliases):
        return False
    if not _same_case(a, b, sentence, then, pair=region, before=before):
        return False  # a word beside a name ("xã Tà"), not one term
    return is_pair(fold(a.syllables[0]), fold(b.syllables[0])) > 0


def _numeral(u: Unit) -> bool:
    """The function word that is also a number (*một*), typed or restored with its accents."""
    reading = u.restored or u.syllables[0]
    return has_diacritics(reading) and canonical_syllable(reading) in NUMBER_FUNCTION_WORDS


def _content(u: Unit, aliases: AliasLookup | None) -> bool:
    """A lone plain syllable that may join a neighbour: no function word (typed without
    accents, none in the query's restored reading either), well formed, no known
    abbreviation (it keeps its expansion; capitals alone, "CẤP XÃ", are no sign)."""
    syl = u.syllables[0]
    key = (fold(syl),)
    if is_function_word(u.restored or syl) or not well_formed(key[0]):
        return False
    return aliases is None or not aliases(key, _typed_as_abbreviation(u.raw, key))


def _lone_function_word(word: Word, accented: bool, long: bool) -> bool:
    """A word that is one function word and nothing else: typed with its accents, or
    without any to type ("cho") in a query typed with accents (``accented``), or
    restored with them (see read_restored); in a ``long`` query, any that folds alike
    (see is_function_word)."""
    if len(word.syllables) != 1 or word.ref_key:
        return False
    syllable = word.syllables[0]
    if syllable.accented or long:
        return is_function_word(syllable.text)
    if word.reading and has_diacritics(word.reading):
        # As the query's restored reading has it: "duoc" is được, "cho" may be chợ.
        return canonical_syllable(word.reading) in FUNCTION_WORDS
    return accented and syllable.text in FUNCTION_WORDS


def read_restored(pq: ParsedQuery, accents: list[str] | None) -> bool:
    """Give each lone syllable of ``pq``, a query typed without accents, its reading in
    ``accents`` (the restored reading, one per positive syllable); True when that
    gives any of them accents, which the plan reads by.

    Typed without accents, a syllable that folds like a function word is taken for
    one, which never pairs (see is_function_word), and a question word of one
    syllable ("nao") for none. The restored reading tells them apart in context:
    ``duoi nuoc`` is *đuối nước* (577 of its 641 occurrences in local-news-20k), not
    *dưới nước*, and read as two syllables anywhere it finds eight times the
    articles; ``de dieu`` restores to *để điều* and stays apart; ``xa nao dat
    chuan`` asks which commune (see _question_spans)."""
    # Typed with accents anywhere, a syllable without any means itself ("cho").
    if pq.accented or not accents or len(accents) != len(pq.positive_syllables):
        return False
    changed, k = False, 0
    for clause in pq.clauses:
        for u in clause:
            n = len(u.syllables)
            if n == 1 and not u.ref_key and not has_diacritics(u.syllables[0]):
                reading = accents[k]
                if fold(reading) == fold(u.syllables[0]):
                    u.restored = reading
                    changed |= has_diacritics(reading)
            k += n
    return changed


def is_function_word(syllable: str) -> bool:
    """A function word (``ở``, ``của``, ``và``): typed without accents, any that folds alike."""
    if has_diacritics(syllable):
        return canonical_syllable(syllable) in FUNCTION_WORDS
    return fold(syllable) in FOLDED_FUNCTION_WORDS


def _add_aliases(
    plan: Plan, pq: ParsedQuery, aliases: AliasLookup, spans: list[tuple[int, int] | None]
) -> None:
    """Give each word (or run of words) that has other forms those forms as alternatives."""
    raws = {"".join(fold(s) for s in u.syllables): u.raw for c in pq.clauses for u in c if u.raw}
    units = [u for c in pq.clauses for u in c if any(ch.isalpha() for ch in u.raw)]
    # Every word in capitals: the caps lock, which says nothing of abbreviations.
    caps_lock = len(units) > 1 and all(u.raw.isupper() for u in units)

    def typed_at(i: int) -> str:
        """What was typed for plan clause i alone (its one syllable's unit, by position:
        "DA đã" has two units of the same letters), else ""."""
        span = spans[i] if i < len(spans) else None
        if span is not None:
            return pq.clauses[span[0]][0].raw if span[0] == span[1] else ""
        return raws.get("".join(w for w in plan.clauses[i][0].folded), "")

    out: list[list[Word]] = []
    i = 0
    clauses = plan.clauses
    # Groups made before (a date in words and in figures), re-keyed as clauses join.
    made, plan.aliases = plan.aliases, {}
    while i < len(clauses):
        found = None
        # The longest run of plain words, starting here, that is a known form.
        for j in range(min(len(clauses), i + MAX_ALIAS_WORDS), i, -1):
            run = clauses[i:j]
            if any(len(c) != 1 or c[0].ref_key or c[0].question for c in run):
                continue
            if any(c[0].pause for c in run[:-1]):
                continue  # a form never goes on over punctuation that ends a clause
            syls = tuple(s for c in run for s in c[0].syllables)
            k = tuple(s.folded for s in syls)
            typed = typed_at(i) if j == i + 1 else ""
            others = aliases(k, _typed_as_abbreviation(typed, k))
            if others:
                found = (j, Word(syls), others)
                break
        if found is None:
            if i in made:
                plan.aliases[len(out)] = made[i]
            out.append(clauses[i])
            i += 1
            continue
        j, word, others = found
        typed = typed_at(i) if j == i + 1 else ""
        if plan.accents == "exact" and not caps_lock and _literal_abbreviation(typed, word):
            # "DA" typed in capitals is the abbreviation (and "dự án"), not every
            # folded "da" (đã, Đà, đá): its letters without accents, exactly.
            word = Word((Syllable(word.syllables[0].text, True),))
        plan.aliases[len(out)] = (typed or word.text, [shown for _, shown in others])
        out.append(
            [word] + [Word(tuple(Syllable(s, False) for s in k), alias=True) for k, _ in others]
        )
        i = j
    plan.clauses = out


def _literal_abbreviation(typed: str, word: Word) -> bool:
    """A known abbreviation typed in capitals that is also a syllable without accents
    (``DA``, ``THA``): it means its letters, not the syllable with any accents."""
    return (
        len(word.syllables) == 1
        and sum(c.isupper() for c in typed) >= 2
        and not has_diacritics(typed)
        and well_formed(word.syllables[0].folded)
    )


def _typed_as_abbreviation(raw: str, k: tuple[str, ...]) -> bool:
    """An abbreviation typed as one: capitals (``UBND``), or no Vietnamese syllable (``ubnd``)."""
    if sum(c.isupper() for c in raw) >= 2:
        return True
    return len(k) == 1 and not well_formed(k[0])


def _folded_at(clauses: list[list[Unit]], i: int) -> str | None:
    if 0 <= i < len(clauses) and _joinable(clauses[i]):
        return fold(clauses[i][0].syllables[0])
    return None


def _counted(pq: ParsedQuery, i: int, is_word: WordTest | None, exact: bool) -> bool:
    """True when the syllable before clause i counts it or is one word with it: a
    trailing cue that is no question ("5 sao", "năm sao", "ngôi sao")."""
    if i == 0 or len(pq.clauses[i - 1]) != 1 or pq.clauses[i - 1][0].ref_key:
        return False
    unit, cue = pq.clauses[i - 1][0], pq.clauses[i][0]
    last = unit.syllables[-1]
    if last.isdigit() or canonical_syllable(last) in NUMBER_WORDS:
        return True
    if not pq.accented and fold(last) in FOLDED_NUMBER_WORDS:
        return True  # typed without accents: "khach san nam sao" is five stars
    if is_word is None or not _joinable(pq.clauses[i - 1]):
        return False
    before = _folded_at(pq.clauses, i - 2)
    return is_word(
        before, fold(last), fold(cue.syllables[0]), None, exact=_readings(unit, cue, exact)
    )


def _question_spans(
    pq: ParsedQuery, is_word: WordTest | None = None, exact: bool = True
) -> set[int]:
    """Indexes of the clauses that are question words."""
    plain = [
        c[0].syllables[0] if len(c) == 1 and len(c[0].syllables) == 1 and not c[0].ref_key else None
        for c in pq.clauses
    ]
    folded_query = not pq.accented
    out: set[int] = set()
    keys = [
        None if s is None else (fold(s) if folded_query else canonical_syllable(s)) for s in plain
    ]
    if folded_query and len(plain) < 4:
        return out  # a short unaccented query: "gi" may be anything
    asked = "?" in pq.text
    out |= _cues_in(pq, keys, FOLDED_CUES if folded_query else QUESTION_CUES, is_word, exact)
    if folded_query:
        # Typed without accents, a cue of one syllable ("nao": nào, não) is the one
        # the query's restored reading gives ("xa nao dat chuan": xã nào đạt chuẩn).
        readings = [
            canonical_syllable(c[0].restored) if k is not None and c[0].restored else None
            for k, c in zip(keys, pq.clauses)
        ]
        out |= _cues_in(pq, readings, QUESTION_CUES, is_word, exact)
    # A framing word is the question when nothing else asks ("Định nghĩa của …?",
    # "Mô tả quyền …"), when "của" follows it, or when it names a definition;
    # before another question word a verb is what is asked about ("mô tả công việc
    # là gì": the job description), as it is where it begins a word with the
    # syllable after ("nêu gương"); alone with question words it is the subject.
    if asked or out or pq.is_long:
        for cue in FOLDED_FRAMING_CUES if folded_query else FRAMING_CUES:
            n = len(cue)
            if keys[:n] != cue or all(i in out for i in range(n, len(keys))):
                continue  # nothing else to ask about: "khái niệm là gì"
            # A definition, or a request ("hãy …"), frames whatever follows.
            framed = " ".join(fold(k or "") for k in cue)
            named = framed in FOLDED_DEFINITIONS or framed.startswith("hay ")
            if not named and (
                (out and fold(keys[n] or "") != "cua")
                or is_word is not None
                and _joinable(pq.clauses[n])
                and is_word(
                    fold(keys[n - 2] or "") if n > 1 else None,
                    fold(keys[n - 1] or ""),
                    fold(pq.clauses[n][0].syllables[0]),
                    _folded_at(pq.clauses, n + 1),
                )
            ):
                break
            out.update(range(n))
            break
    return out


def _cues_in(
    pq: ParsedQuery,
    keys: list[str | None],
    cues: list[list[str]],
    is_word: WordTest | None,
    exact: bool,
) -> set[int]:
    """Indexes of the clauses whose ``keys`` (one syllable each, or None) are ``cues``."""
    asked = "?" in pq.text
    out: set[int] = set()
    for cue in cues:
        n = len(cue)
        for i in range(len(keys) - n + 1):
            if keys[i : i + n] != cue:
                continue
            if n == 1 and cue[0] in TRAILING_CUES:
                if not asked and i + 1 < len(keys):
                    continue
                if cue[0] == "sao" and _counted(pq, i, is_word, exact):
                    continue
            out.update(range(i, i + n))
    return out


def _cue_boundary(cues: set[int], j: int) -> bool:
    """True when a question word and a content word meet between clauses j and j+1."""
    return (j in cues) != (j + 1 in cues)


def pairs(plan: Plan) -> list[tuple[str, ...]]:
    """Adjacent folded syllables of the query (2 and 3 at a time), for the words field."""
    order = [s.folded for w in plan.words if not w.ref_key and not w.alias for s in w.syllables]
    out = []
    for n in (3, 2):
        out += [tuple(order[i : i + n]) for i in range(len(order) - n + 1)]
    return out


def _aligned(plan: Plan, accents: list[str] | None):
    """(word, [(syllable, its restored reading)]) of every positive word, or None.

    ``accents`` are the restored readings of the typed syllables, in order;
    the other forms of an abbreviation were not typed and keep their own.
    """
    syls = [s for w in plan.words if not w.alias for s in w.syllables]
    if accents is None or len(accents) != len(syls):
        return None
    it = iter(accents)
    return [
        (w, [(s, s.text if w.alias else canonical_syllable(next(it))) for s in w.syllables])
        for w in plan.words
    ]


def restored(plan: Plan, accents: list[str] | None) -> list[str]:
    """The accented syllables to rank by: typed ones, and restored ones for the rest."""
    aligned = _aligned(plan, accents)
    if aligned is None:
        return [
            s.text
            for w in plan.words
            if not w.ref_key and not w.alias
            for s in w.syllables
            if s.accented
        ]
    return [
        s.text if s.accented or s.exact else a  # exact without accents: as typed ("DA")
        for w, pairs_ in aligned
        if not w.ref_key and not w.alias
        for s, a in pairs_
    ]


def with_accents(plan: Plan, accents: list[str] | None) -> list[Word]:
    """The positive words read with their typed or restored accents, all required (for marking)."""
    aligned = _aligned(plan, accents) or [(w, [(s, None) for s in w.syllables]) for w in plan.words]
    out = []
    for w, pairs_ in aligned:
        if w.ref_key or w.question:
            continue
        if w.alias:
            out.append(w)
            continue
        out.append(
            Word(
                tuple(
                    Syllable(s.text, True, True)
                    if s.accented
                    else s
                    if s.exact or not a
                    else Syllable(a, True, True)
                    for s, a in pairs_
                ),
                question=w.question,
            )
        )
    return out


def score_terms(plan: Plan, accents: list[str] | None = None) -> list[ScoreTerm]:
    """The terms whose BM25 scores add up to a document's score.

    Folded syllables in the text, policy references, and ranking signals: the
    accented (typed or restored) syllables, syllables in the title (keyword
    queries only), and adjacent syllables that pyvi found as one word.
    """
    weight: dict[str, float] = {}
    aliased = {id(w) for i in plan.aliases for w in plan.clauses[i]}
    for w in plan.words:
        if w.ref_key or id(w) in aliased:
            continue
        for s in w.syllables:
            boost = QUESTION_WEIGHT if w.question else 1.0
            weight[s.folded] = max(weight.get(s.folded, 0.0), boost)
    terms = [ScoreTerm("text", f, b) for f, b in weight.items()]
    terms += [ScoreTerm("policy_refs", w.ref_key, normalize=False) for w in plan.words if w.ref_key]
    questions = {s.text for w in plan.words if w.question for s in w.syllables}
    # An abbreviation's forms score as one term of their own (see the engine).
    alias_syls = {s.text for w in plan.words if id(w) in aliased for s in w.syllables}
    terms += [
        ScoreTerm("exact", s, EXACT_BOOST * (QUESTION_WEIGHT if s in questions else 1.0))
        for s in dict.fromkeys(restored(plan, accents))
        if s not in alias_syls
    ]
    if not plan.relaxed:
        # A keyword in the title is a strong signal; a question's syllables in
        # a title are mostly its function words (measured on ALQAC).
        terms += [ScoreTerm("title", f, TITLE_BOOST, normalize=False) for f in weight]
    terms += [
        ScoreTerm("words", "_".join(p), WORD_BOOST * len(p) / 2)
        for p in pairs(plan)
        if not aliased or not _in_alias(plan, p)
    ]
    return terms


def candidate_terms(plan: Plan, accents: list[str] | None = None) -> list[ScoreTerm]:
    """:func:`score_terms`, and the folded syllables of every form of an abbreviation:
    what an engine that first picks candidates by its own BM25 (Xapian) weighs them by.

    The engine scores an abbreviation's forms as one term of their own, which such a
    pick cannot; without them, a query of an abbreviation alone would pick any matches.
    """
    terms = score_terms(plan, accents)
    have = {(t.field, t.text) for t in terms}
    for i in plan.aliases:
        for w in plan.clauses[i]:
            for f in w.folded:
                if ("text", f) not in have:
                    have.add(("text", f))
                    terms.append(ScoreTerm("text", f, ALIAS_BOOST / len(w.syllables)))
    return terms


def _in_alias(plan: Plan, pair: tuple[str, ...]) -> bool:
    """True when these adjacent syllables lie inside a word with aliases."""
    joined = "_".join(pair)
    return any(joined in "_".join(w.folded) for i in plan.aliases for w in plan.clauses[i])


def phrase(plan: Plan) -> list[Syllable] | None:
    """The query's plain words as one phrase, when it has several syllables (and no
    punctuation that ends a clause between them: no article holds that phrase)."""
    words = [c[0] for c in plan.clauses if len(c) == 1 and not c[0].ref_key and not c[0].question]
    if any(w.pause for w in words[:-1]):
        return None
    syls = [s for w in words for s in w.syllables]
    return syls if len(syls) > 1 else None


# Bodies whose name with a type or a title is still a title ("Chủ tịch UBND xã").
GOVERNING_BODIES = frozenset(
    " ".join(map(canonical_syllable, w.split()))
    for w in ("ubnd", "hđnd", "ủy ban nhân dân", "hội đồng nhân dân", "ủy ban", "hội đồng")
)


def names_nothing(clauses: list[list[Word]], accented: bool) -> bool:
    """True when the words typed in these clauses, in order, are units' types, titles,
    governing bodies and (typed with accents) function words only: they say what kind
    of thing is sought, not which ("huyện" of ``huyện Xyzabc``, "chủ tịch UBND xã").
    Typed without accents a function word may be another word ("chua": *chùa*)."""
    syls = [s.text for c in clauses for s in c[0].syllables]

    def piece(start: int, end: int) -> bool:
        text = " ".join(syls[start:end])
        if is_name_opener(text, accented):
            return True
        if text in GOVERNING_BODIES:  # the syllables are tone-canonical
            return True
        return accented and end - start == 1 and is_function_word(syls[start])

    # Made of such pieces end to end ("chủ tịch" + "UBND" + "xã").
    ok = [True] + [False] * len(syls)
    for end in range(1, len(syls) + 1):
        ok[end] = any(ok[start] and piece(start, end) for start in range(max(0, end - 4), end))
    return ok[-1]


def without(plan: Plan, drop: set[int]) -> Plan:
    """The plan without the clauses at ``drop`` (a query rescued from finding nothing)."""
    keep = [i for i in range(len(plan.clauses)) if i not in drop]
    new = {old: n for n, old in enumerate(keep)}
    return Plan(
        clauses=[plan.clauses[i] for i in keep],
        excluded=plan.excluded,
        relaxed=plan.relaxed,
        long=plan.long,
        accents=plan.accents,
        aliases={new[i]: a for i, a in plan.aliases.items() if i in new},
    )


def plain(pq) -> list[str] | None:
    """The syllables of a query made of plain words only (no quotes, OR, exclusions, refs)."""
    if pq.excluded or any(
        len(c) != 1 or c[0].ref_key or c[0].phrase and '"' in pq.text for c in pq.clauses
    ):
        return None
    return [s for c in pq.clauses for s in c[0].syllables]
