"""The index schema, declared once, and the document it is filled from."""

from __future__ import annotations

from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from .. import abbrev
from ..analysis import clause_syllables, compound_words, fold
from ..article import Article, now_utc
from ..stored import pack
from .whoosh_analysis import VietnameseAnalyzer, WordsAnalyzer
from .whoosh_fields import PreparedText, analysed_terms


def build_schema() -> Schema:
    """The vnsearch schema (see README, "Design")."""
    return Schema(
        id=ID(stored=True, unique=True),
        hash=ID(stored=True),
        # Folded syllables of all prose with positions: recall and phrases,
        # independent of pyvi. The title again on its own, for ranking.
        text=PreparedText(VietnameseAnalyzer(fold=True)),
        title=PreparedText(VietnameseAnalyzer(fold=True)),
        # Accent-exact (tone-canonical) syllables of all prose, at the same
        # positions as in ``text``: a syllable typed with accents matches here,
        # and a word may mix exact and folded syllables. Those without accents
        # are stored as which of the folded syllable's positions they hold
        # (RelativePositions).
        exact=PreparedText(VietnameseAnalyzer(fold=False), relative="text"),
        # pyvi's compound words of all prose, folded ("can_bo"): a ranking signal.
        words=PreparedText(WordsAnalyzer(), positions=False),
        policy_refs=KEYWORD(commas=True, lowercase=False, scorable=True, field_boost=3.0),
        # Abbreviations the article defines ("Cán bộ, công chức (CBCC)"), as
        # abbrev.encode terms: the index's own counts of each definition.
        defines=KEYWORD(commas=True, lowercase=False),
        province=ID,
        province_2025=ID,
        district=ID,
        commune=ID,
        topics=KEYWORD(commas=True, lowercase=False),
        date=ID,
        author=TEXT(analyzer=VietnameseAnalyzer(fold=True), phrase=False),
        outlet=ID,
        url=KEYWORD(lowercase=False),
        # Republished copies: a fingerprint of the text, and the ids (with their
        # content hashes) of other sources merged into this article.
        fingerprint=ID,
        aliases=KEYWORD(commas=True, lowercase=False),
        alias_hashes=STORED,
        # The whole article as compressed JSON: the one stored copy for display.
        doc=STORED,
    )


# The schema of this version, built once (its field types analyse documents).
SCHEMA = build_schema()


def prose_parts(article: Article) -> list[str]:
    """The article's prose in the order it is indexed: title, lead, body, captions."""
    return [article.title, article.lead, article.body, "\n".join(article.captions)]


def prepared_fields(article: Article, words: str) -> dict:
    """The analysed prose fields and the stored copy of an article (runs in workers).

    ``words`` is pyvi's segmentation of the article's text. A new copy is stamped
    with the time it is indexed; one rewritten from the index keeps its stamp.
    """
    if article.indexed is None:
        article.indexed = now_utc()
    # A gap (None) between two parts, and where punctuation ends a clause:
    # no phrase spans them.
    exact: list[str | None] = []
    for part in prose_parts(article):
        if exact:
            exact.append(None)
        exact += clause_syllables(part)
    folded = [None if s is None else fold(s) for s in exact]
    title = [None if s is None else fold(s) for s in clause_syllables(article.title)]
    return {
        "text": analysed_terms(SCHEMA["text"], folded),
        "title": analysed_terms(SCHEMA["title"], title),
        "exact": analysed_terms(SCHEMA["exact"], exact),
        "words": analysed_terms(SCHEMA["words"], compound_words(words)),
        "defines": ",".join(sorted({abbrev.encode(d) for d in abbrev.definitions(article.text())})),
        "doc": pack(article),
    }


def document(
    article: Article,
    words: str,
    fingerprint: str = "",
    aliases: dict[str, str] | None = None,
    prepared: dict | None = None,
) -> dict:
    """The Whoosh document for an article, its pyvi segmentation and merged copies.

    ``prepared`` is :func:`prepared_fields` of the article, when already computed.
    """
    doc = {
        "id": article.id,
        "hash": article.content_hash,
        **(prepared or prepared_fields(article, words)),
        "policy_refs": ",".join(r.key for r in article.policy_refs),
        "province": article.province or "",
        "province_2025": article.province_2025 or "",
        "district": article.district or "",
        "commune": article.commune or "",
        "topics": ",".join(article.topics),
        "date": article.date.isoformat() if article.date else "",
        "author": article.author or "",
        "outlet": article.outlet or "",
        "url": " ".join([u for u in [article.url, *article.urls] if u]),
        "fingerprint": fingerprint,
        "aliases": ",".join(aliases or {}),
    }
    if aliases:
        doc["alias_hashes"] = dict(aliases)
    # Empty values are left out: an empty ID term would count as a facet value.
    return {k: v for k, v in doc.items() if v != "" and v != ()}
