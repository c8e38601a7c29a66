"""SDG target suggestions from text: Boolean rules with weights, confidence and evidence.

Two rule sets, both Scopus-style Boolean queries keyed to a KOS target:

* the Aurora Universities Network SDG queries v5.0 (``sources/sdg-queries``), written to find
  research about each target: precise, narrow;
* the project's lexicon (``sources/sdg/lexicon.tsv``): the phrases practitioners use for each
  target, each with a weight saying how much it alone says about the target.

A text's evidence for a goal is the sum of the weights of the distinct rules that match it.
The goal's confidence is ``1 - exp(-score / scale)``: one strong phrase gives a moderate
confidence, independent phrases accumulate. Each target gets the goal's confidence times the
ratio of its own evidence strength (the same saturating function of its own score) to the best
target's, so the best-supported target carries the goal's confidence and the others rank below.
Rules and weights are data; the method is this module.
"""

from __future__ import annotations

import csv
import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from kg.enrich.boolean import Document, Node, QuerySyntaxError, compile_query
from kg.errors import KgError, SourceError
from kg.ingest.reference import SOURCES_DIR

AURORA_DIR = SOURCES_DIR / "sdg-queries"
LEXICON = SOURCES_DIR / "sdg" / "lexicon.tsv"
SETTINGS = SOURCES_DIR / "sdg" / "tagger.csv"
KOS = "http://metadata.un.org/sdg/"
METHOD = "sdgkg-rules"
VERSION = "1"

_AQD = "{http://aurora-network.global/queries/namespace/}"
_DC = "{http://dublincore.org/documents/dcmi-namespace/}"
_TARGET = re.compile(r"^(\d{1,2})\.(\d{1,2}|[a-d])$")


@dataclass(frozen=True)
class Rule:
    """One Boolean query for one target, with where it came from."""

    target: str  # "16.6"
    weight: float
    query: str
    source: str  # "aurora SDG16 subquery 6 line 2" or "lexicon line 57"
    node: Node

    @property
    def goal(self) -> str:
        """The goal number the target belongs to."""
        return self.target.split(".")[0]


@dataclass(frozen=True)
class Evidence:
    """A rule that matched and the phrases of the text that satisfied it."""

    rule: str
    query: str
    phrases: tuple[str, ...]
    weight: float
    field: str = "text"

    def as_json(self) -> dict[str, object]:
        """The evidence as written to JSON Lines and shown on pages."""
        return {
            "rule": self.rule,
            "query": self.query,
            "phrases": list(self.phrases),
            "weight": self.weight,
            "field": self.field,
        }


@dataclass(frozen=True)
class Suggestion:
    """A target suggested for a text, with a confidence in [0, 1] and its evidence."""

    target: str
    confidence: float
    evidence: tuple[Evidence, ...]

    @property
    def goal(self) -> str:
        """The goal number the target belongs to."""
        return self.target.split(".")[0]

    @property
    def target_iri(self) -> str:
        """The target's UN SDG KOS IRI."""
        return KOS + self.target

    @property
    def goal_iri(self) -> str:
        """The goal's UN SDG KOS IRI."""
        return KOS + self.goal

    def as_json(self) -> dict[str, object]:
        """The suggestion in the ``kg suggest-sdgs`` output format."""
        return {
            "target": self.target_iri,
            "goal": self.goal_iri,
            "confidence": round(self.confidence, 3),
            "evidence": [e.as_json() for e in self.evidence],
        }


class RuleError(KgError):
    """A rule file that cannot be read; the message names the file and line."""


def aurora_rules(directory: Path = AURORA_DIR, weight: float = 1.0, means_weight: float = 1.0) -> list[Rule]:
    """Every Aurora query line as a rule for the KOS target its sub-query names.

    The lettered targets (means of implementation, 11.c, 17.a …) get ``means_weight``: their
    queries pair a generic word with "developing countries" and match much project text.
    """
    rules: list[Rule] = []
    for path in sorted(directory.glob("query_SDG*.xml"), key=lambda p: int(p.stem[9:])):
        root = ET.parse(path).getroot()
        for definition in root.iter(f"{_AQD}query-definition"):
            sub = (definition.findtext(f"{_AQD}subquery-identifier") or "").strip()
            iri = next(
                ((e.text or "").strip() for e in definition.findall(f"{_DC}identifier") if e.get("type") == "uri"),
                "",
            )
            target = re.sub(r"^(\d+)([a-d])$", r"\1.\2", iri.rsplit("/", 1)[-1])  # Aurora writes 3c for 3.c
            if not _TARGET.match(target):
                raise RuleError(f"{path.name}: sub-query {sub} names no SDG target ({iri!r})")
            for n, line in enumerate(definition.iter(f"{_AQD}query-line"), start=1):
                text = " ".join((line.text or "").split())
                try:
                    node = compile_query(text)
                except QuerySyntaxError as err:
                    raise RuleError(f"{path.name}: sub-query {sub} line {n}: {err}") from None
                w = means_weight if target[-1].isalpha() else weight
                rules.append(Rule(target, w, text, f"aurora {path.stem[6:]} sub-query {sub} line {n}", node))
    return rules


def lexicon_rules(path: Path = LEXICON) -> list[Rule]:
    """The lexicon's rows (target, weight, query) as rules."""
    rules: list[Rule] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for n, row in enumerate(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), start=2):
            where = f"{path.name} line {n}"
            target = (row.get("target") or "").strip()
            if not _TARGET.match(target):
                raise RuleError(f"{where}: target {target!r} is not an SDG target like 16.6")
            try:
                weight = float(row.get("weight") or "")
                node = compile_query(row.get("query") or "")
            except (ValueError, QuerySyntaxError) as err:
                raise RuleError(f"{where}: {err}") from None
            rules.append(Rule(target, weight, " ".join((row["query"] or "").split()), f"lexicon line {n}", node))
    return rules


def _settings(path: Path = SETTINGS) -> dict[str, float]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["setting"]: float(row["value"]) for row in csv.DictReader(handle)}


class Tagger:
    """Suggests SDG targets for texts; build once, call ``suggest`` many times."""

    def __init__(self, rules: Iterable[Rule], *, scale: float, threshold: float) -> None:
        self.rules = list(rules)
        self.scale = scale
        self.threshold = threshold
        # anchor word -> rules that cannot match a text without a word beginning with it
        self._by_anchor: dict[str, list[int]] = {}
        for i, rule in enumerate(self.rules):
            for word, _prefix in rule.node.anchors():
                self._by_anchor.setdefault(word, []).append(i)
        self._longest = max(map(len, self._by_anchor), default=0)
        self._matched = lru_cache(maxsize=65536)(self._match)

    def _match(self, text: str) -> tuple[tuple[int, tuple[str, ...]], ...]:
        """(rule index, phrases) of every rule matching ``text``; cached, texts repeat."""
        doc = Document.of(text)
        if not doc.words:
            return ()
        candidates: set[int] = set()
        for word in doc.vocabulary:
            for k in range(1, min(len(word), self._longest) + 1):
                candidates.update(self._by_anchor.get(word[:k], ()))
        found = []
        for i in sorted(candidates):
            rule = self.rules[i]
            spans = rule.node.spans(doc)
            if spans:
                found.append((i, tuple(dict.fromkeys(doc.quote(*s) for s in spans[:5]))))
        return tuple(found)

    def suggest(self, text: str, *, threshold: float | None = None) -> list[Suggestion]:
        """Targets whose confidence reaches the threshold, best first."""
        return self.suggest_fields({"text": [text]}, threshold=threshold)

    def suggest_fields(self, fields: dict[str, list[str]], *, threshold: float | None = None) -> list[Suggestion]:
        """Suggestions for a record's text fields taken together; evidence names its field."""
        limit = self.threshold if threshold is None else threshold
        by_target: dict[str, list[Evidence]] = {}
        for name, texts in fields.items():
            for text in texts:
                for i, phrases in self._matched(text):
                    rule = self.rules[i]
                    evidence = Evidence(rule.source, rule.query, phrases, rule.weight, name)
                    by_target.setdefault(rule.target, []).append(evidence)
        scores = {t: self._score(ev) for t, ev in by_target.items()}
        goals: dict[str, float] = {}
        for target, score in scores.items():
            goal = target.split(".")[0]
            goals[goal] = goals.get(goal, 0.0) + score
        best = {g: max(s for t, s in scores.items() if t.split(".")[0] == g) for g in goals}
        out = []
        for target, score in scores.items():
            goal = target.split(".")[0]
            # the goal's confidence, times how close this target's evidence comes to the best target's
            strength = (1 - math.exp(-score / self.scale)) / (1 - math.exp(-best[goal] / self.scale))
            confidence = (1 - math.exp(-goals[goal] / self.scale)) * strength
            if confidence >= limit and confidence > 0:
                out.append(Suggestion(target, confidence, tuple(by_target[target])))
        out.sort(key=lambda s: (-s.confidence, int(s.goal), s.target))
        return out

    @staticmethod
    def _score(evidence: list[Evidence]) -> float:
        # A rule counts once however often it matched; rules matching the very same phrases
        # (Aurora and the lexicon often agree) count once, at the best weight.
        phrases: dict[str, set[str]] = {}
        weight: dict[str, float] = {}
        for e in evidence:
            phrases.setdefault(e.rule, set()).update(p.lower() for p in e.phrases)
            weight[e.rule] = e.weight
        best: dict[frozenset[str], float] = {}
        for rule, found in phrases.items():
            key = frozenset(found)
            best[key] = max(best.get(key, 0.0), weight[rule])
        return sum(best.values())

    def goals(self, text: str, *, threshold: float | None = None) -> list[int]:
        """The goals (numbers) of the suggestions: the benchmark's view of a text."""
        return sorted({int(s.goal) for s in self.suggest(text, threshold=threshold)})


@cache
def default_tagger() -> Tagger:
    """The bundled rules with the bundled settings (weights of Aurora rules, scale, threshold)."""
    settings = _settings()
    rules = aurora_rules(weight=settings["aurora_weight"], means_weight=settings["aurora_means_weight"])
    rules += lexicon_rules()
    return Tagger(rules, scale=settings["scale"], threshold=settings["threshold"])


def read_documents(lines: Iterable[str], name: str) -> Iterator[tuple[object, str]]:
    """(id, text) pairs from JSON Lines (``{"id": …, "text": …}``) or plain text, one per line.

    The first non-blank line decides: a line starting with ``{`` means JSON Lines. Plain-text
    documents are numbered by their line; blank lines are skipped in both.
    """
    jsonl: bool | None = None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if jsonl is None:
            jsonl = line.lstrip().startswith("{")
        if not jsonl:
            yield n, line.rstrip("\n")
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as err:
            raise SourceError(name, n, f"not a JSON object ({err.msg} at column {err.colno})") from None
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise SourceError(name, n, 'each line needs a "text" string, e.g. {"id": "a1", "text": "…"}')
        yield item.get("id", n), item["text"]
