"""Scopus-style Boolean text queries, compiled once and matched against many texts.

The Aurora SDG queries are written in this syntax, and so is the project's own SDG lexicon, so
one matcher serves both. Supported: ``"loose phrase"`` (plural forms of the last word match too,
as in Scopus), ``{exact phrase}``, ``*`` truncation, ``OR``, ``AND``, ``AND NOT``, ``W/n`` (within
n words, either order) and ``PRE/n`` (first precedes within n words), with Scopus' precedence:
OR binds tightest, then W/n and PRE/n, then AND, then AND NOT.

A match returns the spans of text that satisfied the query, which become a suggestion's evidence.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field

_WORD = re.compile(r"[a-z0-9]+")
_TOKEN = re.compile(
    r'\s*(?:(?P<phrase>"[^"]*")|(?P<exact>\{[^}]*\})|(?P<open>\()|(?P<close>\))'
    r"|(?P<prox>(?:W|PRE)/\d+)|(?P<andnot>AND\s+NOT)|(?P<and>AND)|(?P<or>OR)|(?P<bare>[^\s()\"{}]+))"
)


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; the message says where."""


def fold(text: str) -> str:
    """Lower case without accents: the form both texts and query words are compared in."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@dataclass(frozen=True)
class Document:
    """A text tokenised once: folded words, their character offsets and a sorted vocabulary."""

    text: str
    words: tuple[str, ...]
    offsets: tuple[tuple[int, int], ...]
    positions: dict[str, list[int]] = field(repr=False)
    vocabulary: list[str] = field(repr=False)

    @classmethod
    def of(cls, text: str) -> Document:
        """Tokenise ``text``: words are runs of letters and digits after folding."""
        folded = fold(text)
        # NFKD can change lengths (ligatures); offsets are only exact when it does not.
        same = len(folded) == len(text)
        words: list[str] = []
        offsets: list[tuple[int, int]] = []
        positions: dict[str, list[int]] = {}
        for m in _WORD.finditer(folded):
            positions.setdefault(m.group(), []).append(len(words))
            words.append(m.group())
            offsets.append(m.span() if same else (0, 0))
        return cls(text, tuple(words), tuple(offsets), positions, sorted(positions))

    def quote(self, start: int, end: int) -> str:
        """The text as written from word ``start`` to word ``end`` (exclusive)."""
        a, b = self.offsets[start][0], self.offsets[end - 1][1]
        if b > a:
            return " ".join(self.text[a:b].split())
        return " ".join(self.words[start:end])

    def starts(self, word: str, prefix: bool) -> list[int]:
        """Positions of a word, or of every word with this prefix."""
        if not prefix:
            return self.positions.get(word, [])
        found: list[int] = []
        i = bisect_left(self.vocabulary, word)
        while i < len(self.vocabulary) and self.vocabulary[i].startswith(word):
            found.extend(self.positions[self.vocabulary[i]])
            i += 1
        return found


Span = tuple[int, int]


class Node:
    """A compiled query node; ``spans`` lists where it matches (empty: no match)."""

    def spans(self, doc: Document) -> list[Span]:
        """Where this node matches in ``doc``, as (first word, last word + 1) spans."""
        raise NotImplementedError

    def anchors(self) -> frozenset[tuple[str, bool]]:
        """Words (word, is_prefix) of which a matching text must contain at least one.

        A cheap pre-test: most rules are skipped for a text without evaluating them.
        """
        raise NotImplementedError


@dataclass(frozen=True)
class Phrase(Node):
    """Consecutive words; a ``*`` word matches any word it begins."""

    words: tuple[tuple[str, bool], ...]  # (word, is_prefix)
    loose: bool
    written: str

    def _word_at(self, doc: Document, pos: int, word: str, prefix: bool, last: bool) -> bool:
        w = doc.words[pos]
        if prefix:
            return w.startswith(word)
        if w == word:
            return True
        if self.loose and last:  # Scopus' loose phrases also find plural forms
            return w in (word + "s", word + "es") or (word.endswith("y") and w == word[:-1] + "ies")
        return False

    def anchors(self) -> frozenset[tuple[str, bool]]:  # noqa: D102
        return frozenset([self.words[0]])

    def spans(self, doc: Document) -> list[Span]:  # noqa: D102
        first, prefix = self.words[0]
        n = len(self.words)
        if self.loose and n == 1 and not prefix:  # plural forms too: policy -> policies
            candidates = doc.starts(first[:-1] if first.endswith("y") else first, True)
        else:
            candidates = doc.starts(first, prefix)
        found = []
        for start in candidates:
            if start + n > len(doc.words):
                continue
            if all(self._word_at(doc, start + k, w, p, k == n - 1) for k, (w, p) in enumerate(self.words)):
                found.append((start, start + n))
        if n == 1 and not prefix and self.loose:
            found = [s for s in found if self._word_at(doc, s[0], first, False, True)]
        return found


@dataclass(frozen=True)
class Or(Node):
    """Any of its parts."""

    parts: tuple[Node, ...]

    def anchors(self) -> frozenset[tuple[str, bool]]:  # noqa: D102
        return frozenset().union(*(p.anchors() for p in self.parts))

    def spans(self, doc: Document) -> list[Span]:  # noqa: D102
        return sorted({s for p in self.parts for s in p.spans(doc)})


@dataclass(frozen=True)
class Near(Node):
    """Both sides within ``distance`` words (in order when ``ordered``)."""

    left: Node
    right: Node
    distance: int
    ordered: bool

    def anchors(self) -> frozenset[tuple[str, bool]]:  # noqa: D102
        return min(self.left.anchors(), self.right.anchors(), key=len)

    def spans(self, doc: Document) -> list[Span]:  # noqa: D102
        a = self.left.spans(doc)
        if not a:
            return []
        b = self.right.spans(doc)
        found = set()
        for s in a:
            for t in b:
                gap = t[0] - s[1] if t[0] >= s[1] else (-1 if self.ordered else s[0] - t[1])
                if 0 <= gap <= self.distance:
                    found.add((min(s[0], t[0]), max(s[1], t[1])))
        return sorted(found)


@dataclass(frozen=True)
class And(Node):
    """All of its parts, anywhere in the text."""

    parts: tuple[Node, ...]

    def anchors(self) -> frozenset[tuple[str, bool]]:  # noqa: D102
        return min((p.anchors() for p in self.parts), key=len)

    def spans(self, doc: Document) -> list[Span]:  # noqa: D102
        found: set[Span] = set()
        for p in self.parts:
            s = p.spans(doc)
            if not s:
                return []
            found.update(s)
        return sorted(found)


@dataclass(frozen=True)
class AndNot(Node):
    """``keep`` unless ``drop`` matches too."""

    keep: Node
    drop: Node

    def anchors(self) -> frozenset[tuple[str, bool]]:  # noqa: D102
        return self.keep.anchors()

    def spans(self, doc: Document) -> list[Span]:  # noqa: D102
        s = self.keep.spans(doc)
        return s if s and not self.drop.spans(doc) else []


def _phrase(text: str, loose: bool) -> Phrase:
    words = []
    for raw in fold(text).split():
        prefix = raw.endswith("*")
        for part in _WORD.findall(raw):
            words.append((part, False))
        if words and prefix:
            words[-1] = (words[-1][0], True)
    if not words:
        raise QuerySyntaxError(f"empty phrase {text!r}")
    return Phrase(tuple(words), loose, text)


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(query):
            m = _TOKEN.match(query, pos)
            if not m or m.end() == pos:
                if query[pos:].strip():
                    raise QuerySyntaxError(f"cannot read {query[pos : pos + 20]!r}")
                break
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.i = 0

    def peek(self) -> str:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else ""

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> Node:
        node = self.and_not()
        if self.i != len(self.tokens):
            raise QuerySyntaxError(f"unexpected {self.tokens[self.i][1]!r} in {self.query!r}")
        return node

    def and_not(self) -> Node:
        node = self.conj()
        while self.peek() == "andnot":
            self.take()
            node = AndNot(node, self.conj())
        return node

    def conj(self) -> Node:
        return self.many("and", self.near, And)

    def near(self) -> Node:
        node = self.disj()
        while self.peek() == "prox":
            op = self.take()[1]
            kind, n = op.split("/")
            node = Near(node, self.disj(), int(n), kind == "PRE")
        return node

    def disj(self) -> Node:
        return self.many("or", self.atom, Or)

    def many(self, operator: str, operand: Callable[[], Node], make: Callable[[tuple[Node, ...]], Node]) -> Node:
        """``operand (operator operand)*`` as one n-ary node (or the lone operand)."""
        parts = [operand()]
        while self.peek() == operator:
            self.take()
            parts.append(operand())
        return parts[0] if len(parts) == 1 else make(tuple(parts))

    def atom(self) -> Node:
        kind = self.peek()
        if kind == "open":
            self.take()
            node = self.and_not()
            if self.peek() != "close":
                raise QuerySyntaxError(f"missing ')' in {self.query!r}")
            self.take()
            return node
        if kind in ("phrase", "exact", "bare"):
            text = self.take()[1]
            if kind == "bare":
                return _phrase(text, loose=True)
            return _phrase(text[1:-1], loose=kind == "phrase")
        found = self.tokens[self.i][1] if self.i < len(self.tokens) else "the end"
        raise QuerySyntaxError(f"expected a phrase or '(' but found {found!r} in {self.query!r}")


def compile_query(query: str) -> Node:
    """Parse a Scopus-style Boolean query into a matcher.

    >>> q = compile_query('("reduc*") W/3 ("violence" OR "homicide")')
    >>> Document.of("It reduced armed violence.").quote(*q.spans(Document.of("It reduced armed violence."))[0])
    'reduced armed violence'
    """
    return _Parser(" ".join(query.split())).parse()
