"""The index schema, declared once, and the document it is filled from."""
from __future__ import annotations

import json
import zlib

from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.formats import Frequency

from .analysis import VietnameseAnalyzer, WordsAnalyzer
from .article import Article

# Bump whenever a field, an analyzer or the stored form changes: an index with
# another version is rebuilt, never read with the wrong analysis.
SCHEMA_VERSION = 2

# How much a match in each prose field weighs, relative to the body.
FIELD_BOOSTS = {"title": 3.0, "captions": 2.0, "lead": 1.5, "body": 1.0}
TEXT_FIELDS = tuple(FIELD_BOOSTS)
FACET_FIELDS = ("province", "province_2025", "topics")
# Weight of an exact-diacritic match of a query syllable, and of a query word
# that pyvi also found as a whole word in the article (ranking only).
EXACT_BOOST = 2.5
WORD_BOOST = 1.0


def _prose(boost: float) -> TEXT:
    # Folded syllables with positions: recall and phrases, independent of pyvi.
    return TEXT(analyzer=VietnameseAnalyzer(fold=True), field_boost=boost, phrase=True)


def build_schema() -> Schema:
    """The vnsearch schema (see README, "Design")."""
    return Schema(
        id=ID(stored=True, unique=True),
        hash=ID(stored=True),
        title=_prose(FIELD_BOOSTS["title"]),
        lead=_prose(FIELD_BOOSTS["lead"]),
        body=_prose(FIELD_BOOSTS["body"]),
        captions=_prose(FIELD_BOOSTS["captions"]),
        # Accent-exact syllables of all prose, frequencies only: a ranking signal.
        exact=TEXT(analyzer=VietnameseAnalyzer(fold=False), phrase=False,
                   vector=None, field_boost=1.0),
        # pyvi's compound words of all prose, folded ("can_bo"): a ranking signal.
        words=TEXT(analyzer=WordsAnalyzer(), phrase=False),
        policy_refs=KEYWORD(commas=True, lowercase=False, scorable=True, field_boost=3.0),
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


def document(article: Article, words: str, fingerprint: str = "",
             aliases: dict[str, str] | None = None) -> dict:
    """The Whoosh document for an article, its pyvi segmentation and merged copies."""
    prose = article.text()
    doc = {
        "id": article.id,
        "hash": article.content_hash,
        "title": article.title,
        "lead": article.lead,
        "body": article.body,
        "captions": "\n".join(article.captions),
        "exact": prose,
        "words": words,
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
        "doc": zlib.compress(article.dumps().encode("utf-8"), 6),
        "fingerprint": fingerprint,
        "aliases": ",".join(aliases or {}),
    }
    if aliases:
        doc["alias_hashes"] = dict(aliases)
    # Empty values are left out: an empty ID term would count as a facet value.
    return {k: v for k, v in doc.items() if v != ""}


def load_article(stored: dict) -> Article:
    """The Article of a stored Whoosh document."""
    return Article.from_dict(json.loads(zlib.decompress(stored["doc"]).decode("utf-8")))
