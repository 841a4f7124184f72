"""Fingerprints of article text, to find one article republished on several sites."""

from __future__ import annotations

import hashlib

from .outlets import lead_code
from .text import match_form

# Enough words to tell articles apart, few enough that a republisher's changes
# at the end (a dropped paragraph, another byline) do not matter.
WORDS = 40
MIN_WORDS = 12


def fingerprint(article) -> str:
    """A stable hash of the start of an article's text (lead then body), folded.

    Agency codes ("ĐBP -"), case, diacritics, punctuation and chrome that the
    extractor removed do not change it; whether the sapo was printed as a lead
    or as the body's first paragraph does not either.
    """
    text = " ".join(p for p in (article.lead, article.body) if p)
    code = lead_code(text)
    if code:
        text = text[code[1] :]
    words = match_form(text).split()
    if len(words) < MIN_WORDS:
        words = match_form(article.title).split() + words
    digest = hashlib.blake2b(" ".join(words[:WORDS]).encode(), digest_size=12).hexdigest()
    return f"fp1:{digest}"
