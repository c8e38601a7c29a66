"""Possible misspellings in running text, with the nearest dictionary word as the suggestion.

A word is suspect when neither the dictionary nor the domain word list knows it.

The dictionary is pyspellchecker's English word list (a registry package, offline); the domain list
(`kg/sources/words/domain-words.txt`) is data. Only lower-case words of running text are checked, so
names, acronyms and codes are left alone; a word is reported only when a dictionary word is one or
two edits away (a likely typo, not an unknown term).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from kg.ingest.reference import SOURCES_DIR

DOMAIN_WORDS = SOURCES_DIR / "words" / "domain-words.txt"
MIN_WORDS = 6  # a field of fewer words is a name, a list or a date, not running text
_URL = re.compile(r"\b(?:https?://|www\.)\S+")
_WORD = re.compile(r"(?<![\w\-/.@'’])([a-z]{4,})(?![\w\-/@'’]|\.\w)")
_ROMAN = re.compile(r"^[ivxlcdm]+$")


@dataclass(frozen=True)
class Misspelling:
    """A word of a field's text that looks misspelt, with the likely intended word."""

    word: str
    suggestion: str
    field: str  # the SourceField IRI
    record: str
    graph: str
    line: int | None


@dataclass(frozen=True)
class Lexicon:
    """The words the check accepts, and a finder for the nearest one."""

    words: frozenset[str]
    by_length: dict[int, list[str]]

    def knows(self, word: str) -> bool:
        """Whether the dictionary or the domain list has the word."""
        return word in self.words

    def nearest(self, word: str) -> str | None:
        """The most frequent dictionary word within two edits (rapidfuzz Levenshtein), if any."""
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        limit = 1 if len(word) <= 5 else 2
        best: tuple[int, int, str] | None = None
        for n in range(len(word) - limit, len(word) + limit + 1):
            choices = self.by_length.get(n, [])
            for match, distance, index in process.extract_iter(
                word, choices, scorer=Levenshtein.distance, score_cutoff=limit
            ):
                key = (int(distance), index, match)  # fewer edits, then more frequent (lists are by frequency)
                if best is None or key < best:
                    best = key
        return best[2] if best else None


def _dictionary() -> dict[str, int]:
    path = Path(str(resources.files("spellchecker") / "resources" / "en.json.gz"))
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def read_word_list(path: Path) -> set[str]:
    """A word list: one word per line, '#' comments and blank lines ignored."""
    return {line.split("#", 1)[0].strip().lower() for line in path.read_text(encoding="utf-8").splitlines()} - {""}


@cache
def lexicon(domain: Path = DOMAIN_WORDS) -> Lexicon:
    """The dictionary (frequent words first) plus the domain word list; read once per process."""
    freq = _dictionary()
    by_length: dict[int, list[str]] = {}
    for w, _ in sorted(freq.items(), key=lambda kv: -kv[1]):
        if w.isalpha() and freq[w] >= 5:  # rare entries of the frequency list are often typos themselves
            by_length.setdefault(len(w), []).append(w)
    return Lexicon(frozenset(freq) | read_word_list(domain), by_length)


def words_to_check(text: str) -> Iterable[str]:
    """Lower-case words of 4+ letters outside URLs, e-mail addresses, hyphenated compounds and numerals."""
    for m in _WORD.finditer(_URL.sub(" ", text)):
        w = m.group(1)
        if not _ROMAN.match(w):
            yield w


def find_misspellings(
    fields: Iterable[tuple[str, str, str, str, int | None]], lex: Lexicon | None = None
) -> list[Misspelling]:
    """Misspellings in ``(record, graph, field, text, line)`` running-text fields, once per field and word."""
    found: list[Misspelling] = []
    nearest: dict[str, str | None] = {}
    for record, graph, field_iri, text, line in fields:
        if len(text.split()) < MIN_WORDS:
            continue
        lex = lex or lexicon()
        for w in dict.fromkeys(words_to_check(text)):
            if lex.knows(w):
                continue
            if w not in nearest:
                nearest[w] = lex.nearest(w)
            if nearest[w]:
                found.append(Misspelling(w, nearest[w], field_iri, record, graph, line))  # type: ignore[arg-type]
    return found
