"""Topics from the editable taxonomy in ``search/data/topics.toml``.

Every rule phrase is matched on folded text (:func:`search.analysis.fold`), so
the rules work on unaccented input too. Phrases are compiled once per process
into a single regular expression.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .text import match_form, match_form_folded, trie_pattern

DATA = Path(__file__).resolve().parent.parent / "data" / "topics.toml"
WEAK, STRONG = 1, 3
MAX_PER_PHRASE = 3
TITLE_FACTOR = 3
RELATIVE = 1 / 3  # a topic must score a third of the best one


@dataclass(frozen=True)
class Taxonomy:
    """The compiled taxonomy: labels, phrase weights and the matching regex."""

    labels: tuple[str, ...]
    weights: dict  # folded phrase -> [(label, weight)]
    pattern: re.Pattern
    local_government: re.Pattern
    threshold: float
    max_topics: int
    fallback: str | None


def _phrase(p: str) -> str:
    return match_form(p).strip()


@lru_cache(maxsize=4)
def taxonomy(path: str = str(DATA)) -> Taxonomy:
    """The taxonomy at ``path`` (the packaged one by default), compiled."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    weights: dict = defaultdict(list)
    labels = []
    for topic in data["topic"]:
        labels.append(topic["label"])
        for weight, key in ((STRONG, "strong"), (WEAK, "phrases")):
            for p in topic.get(key, ()):
                weights[_phrase(p)].append((topic["label"], weight))
    # A phrase starts after a space; the trie regex tries its longest reading first
    # and backs off to shorter ones when the next character is not a space.
    pattern = re.compile(r" (" + trie_pattern(weights) + r")(?= )")
    local = re.compile(
        r"(?<= )("
        + "|".join(re.escape(_phrase(p)) for p in data.get("local_government", ()))
        + r")(?= )"
    )
    return Taxonomy(
        tuple(labels),
        dict(weights),
        pattern,
        local,
        float(data.get("threshold", 4)),
        int(data.get("max_topics", 4)),
        data.get("fallback"),
    )


def _scores(text: str, tax: Taxonomy, factor: int, scores: dict) -> None:
    counts: dict = defaultdict(int)
    # The spaces around a phrase are looked at, not consumed: neighbours both match.
    for m in tax.pattern.finditer(text):
        counts[m.group(1)] += 1
    for phrase, n in counts.items():
        for label, weight in tax.weights[phrase]:
            scores[label] += weight * min(n, MAX_PER_PHRASE) * factor


def find_topics(
    title: str, text: str, tax: Taxonomy | None = None, *, prefolded: bool = False
) -> list[str]:
    """The topics of an article, best first (at least one for local-government news).

    ``prefolded`` says both were already passed through :func:`fold_keep_case`.
    """
    tax = tax or taxonomy()
    scores: dict = defaultdict(float)
    form = match_form_folded if prefolded else match_form
    folded_title, folded_text = form(title), form(text)
    _scores(folded_title, tax, TITLE_FACTOR, scores)
    _scores(folded_text, tax, 1, scores)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], tax.labels.index(kv[0])))
    if ranked:
        best = ranked[0][1]
        chosen = [label for label, s in ranked if s >= tax.threshold and s >= best * RELATIVE][
            : tax.max_topics
        ]
        if chosen:
            return chosen
    if tax.local_government.search(folded_text) or tax.local_government.search(folded_title):
        return [ranked[0][0]] if ranked else ([tax.fallback] if tax.fallback else [])
    return []
