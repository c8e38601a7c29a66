"""SDG views: stated vs suggested links on /sdgs, on a goal's or target's page and on a project's page.

Stated links are what a source says (``sdgkg:addressesSDG`` in a source graph, rolled up to goals
by reasoning); suggested links come from graph/suggested with their confidence and evidence. They
are always shown apart, and suggestions only from the chosen minimum confidence up.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from kg.server.linked import iri

Select = Callable[[str], list[dict[str, dict[str, str]]]]
SUGGESTED = "https://w3id.org/sdgkg/graph/suggested"
_P = """PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX sdgo: <http://metadata.un.org/sdg/ontology#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
DEFAULT_MIN = 0.5


def _v(row: dict[str, dict[str, str]], key: str, default: str = "") -> str:
    return row.get(key, {}).get("value", default)


def _num(code: str) -> tuple[int, int, str]:
    """Sort key of an SDG code: 16 < 16.2 < 16.10 < 16.a."""
    goal, _, target = code.partition(".")
    return int(goal), (int(target) if target.isdigit() else 1000), target


@dataclass
class GoalRow:
    """One goal (or target) on /sdgs: how many projects state it and how many are suggested."""

    iri: str
    code: str
    title: str
    stated: int
    suggested: int
    either: int


def overview(select: Select, minimum: float) -> tuple[list[GoalRow], dict[str, list[GoalRow]]]:
    """Goals and their targets with stated and suggested project counts."""
    counts: dict[str, dict[str, set[str]]] = {}
    for r in select(_P + "SELECT ?c ?p WHERE { ?p sdgkg:addressesSDG ?c }"):
        counts.setdefault(_v(r, "c"), {"stated": set(), "suggested": set()})["stated"].add(_v(r, "p"))
    for r in select(
        _P
        + f"""SELECT ?c ?p WHERE {{ GRAPH <{SUGGESTED}> {{ ?s sdgkg:suggestionFor ?p ;
            sdgkg:confidence ?conf ; sdgkg:suggestedTarget|sdgkg:suggestedGoal ?c }}
            FILTER(?conf >= {minimum:.3f}) }}"""
    ):
        counts.setdefault(_v(r, "c"), {"stated": set(), "suggested": set()})["suggested"].add(_v(r, "p"))
    concepts = select(
        _P
        + """SELECT ?c ?t ?g ?title WHERE { { ?c a sdgo:Goal BIND("goal" AS ?t) }
        UNION { ?c a sdgo:Target ; skos:broader ?g BIND("target" AS ?t) }
        ?c skos:prefLabel ?title FILTER(LANG(?title) = "en") }"""
    )
    goals: list[GoalRow] = []
    targets: dict[str, list[GoalRow]] = {}
    for r in concepts:
        c = _v(r, "c")
        code = c.rsplit("/", 1)[-1]
        found = counts.get(c, {"stated": set(), "suggested": set()})
        row = GoalRow(c, code, _v(r, "title"), len(found["stated"]), len(found["suggested"]),
                      len(found["stated"] | found["suggested"]))  # fmt: skip
        if _v(r, "t") == "goal":
            goals.append(row)
        else:
            targets.setdefault(_v(r, "g"), []).append(row)
    goals.sort(key=lambda g: _num(g.code))
    for rows in targets.values():
        rows.sort(key=lambda t: _num(t.code))
    return goals, targets


def bar_chart(goals: list[GoalRow]) -> str:
    """An inline SVG bar chart of stated and suggested projects per goal (no script, no CDN)."""
    top = max([g.stated + g.suggested for g in goals] + [1])
    width, row, left = 560, 22, 70
    parts = [f'<svg class="chart" viewBox="0 0 {width + left + 60} {row * len(goals) + 30}" role="img" '
             'aria-label="Projects per SDG goal: stated by a source and suggested from text">']  # fmt: skip
    for i, g in enumerate(goals):
        y = i * row + 4
        a = width * g.stated / top
        b = width * g.suggested / top
        parts.append(
            f'<a href="#goal-{g.code}"><text x="0" y="{y + 14}">SDG {g.code}</text>'
            f'<rect class="stated" x="{left}" y="{y}" width="{a:.1f}" height="{row - 6}"><title>SDG {g.code}: '
            f"{g.stated} stated</title></rect>"
            f'<rect class="suggested" x="{left + a:.1f}" y="{y}" width="{b:.1f}" height="{row - 6}"><title>SDG '
            f"{g.code}: {g.suggested} suggested</title></rect>"
            f'<text x="{left + a + b + 6:.1f}" y="{y + 14}">{g.stated} + {g.suggested}</text></a>'
        )
    y = row * len(goals) + 22
    parts.append(f'<rect class="stated" x="{left}" y="{y - 11}" width="12" height="12"/><text x="{left + 16}" y="{y}">'
                 f'stated by a source</text><rect class="suggested" x="{left + 170}" y="{y - 11}" width="12" '
                 f'height="12"/><text x="{left + 186}" y="{y}">suggested from text</text></svg>')  # fmt: skip
    return "".join(parts)


def project_sdgs(select: Select, subject: str, minimum: float = 0.0) -> dict[str, list[dict[str, object]]]:
    """A project's SDGs: stated (with the source graph) and suggested (with evidence in context)."""
    s = iri(subject)
    stated = [
        {"concept": _v(r, "c"), "graph": _v(r, "g")}
        for r in select(
            _P
            + f"""SELECT DISTINCT ?c ?g WHERE {{ GRAPH ?g {{ {s} sdgkg:addressesSDG ?c }}
            FILTER(?g != <https://w3id.org/sdgkg/graph/inferred>) }} ORDER BY ?c"""
        )
    ]
    texts: dict[str, list[str]] = {}
    rows = select(
        _P
        + f"""SELECT ?t ?conf ?rule ?query ?field ?fieldLabel ?phrase WHERE {{
        GRAPH <{SUGGESTED}> {{ ?n sdgkg:suggestionFor {s} ; sdgkg:suggestedTarget ?t ; sdgkg:confidence ?conf ;
          sdgkg:evidence ?e . ?e sdgkg:matchedRule ?r ; sdgkg:textField ?field ; sdgkg:matchedPhrase ?phrase .
          ?r rdfs:label ?rule ; sdgkg:ruleQuery ?query }}
        OPTIONAL {{ ?field rdfs:label ?fieldLabel }} FILTER(?conf >= {minimum:.3f}) }}"""
    )
    for r in select(_P + f"SELECT ?f ?text WHERE {{ {s} ?f ?text FILTER(isLiteral(?text)) }}"):
        texts.setdefault(_v(r, "f"), []).append(_v(r, "text"))
    by_target: dict[str, dict[str, object]] = {}
    for r in rows:
        t = by_target.setdefault(_v(r, "t"), {"target": _v(r, "t"), "confidence": float(_v(r, "conf")), "evidence": {}})
        key = (_v(r, "rule"), _v(r, "field"))
        ev = t["evidence"].setdefault(
            key,
            {
                "rule": key[0],
                "query": _v(r, "query"),
                "field_iri": key[1],  # type: ignore[union-attr]
                "field": _v(r, "fieldLabel") or re.split("[#/]", key[1])[-1],
                "phrases": [],
            },
        )
        ev["phrases"].append(_v(r, "phrase"))
    suggested = sorted(by_target.values(), key=lambda t: (-t["confidence"], _num(t["target"].rsplit("/", 1)[-1])))  # type: ignore[arg-type]
    for t in suggested:
        evidence = list(t["evidence"].values())  # type: ignore[union-attr]
        for ev in evidence:
            ev["context"] = in_context(texts.get(ev["field_iri"], []), ev["phrases"])
        t["evidence"] = evidence
    return {"stated": stated, "suggested": suggested}  # type: ignore[dict-item]


def in_context(texts: list[str], phrases: list[str], around: int = 90) -> str:
    """The first passage of ``texts`` holding a phrase, HTML-escaped, every phrase in <mark>."""
    for text in texts:
        flat = " ".join(text.split())
        spans = []
        for phrase in sorted(set(phrases), key=len, reverse=True):
            for m in re.finditer(re.escape(" ".join(phrase.split())), flat, re.IGNORECASE):
                if not any(a <= m.start() < b for a, b in spans):
                    spans.append((m.start(), m.end()))
        if not spans:
            continue
        spans.sort()
        lo, hi = max(spans[0][0] - around, 0), min(spans[-1][1] + around, len(flat))
        if hi - lo > 4 * around + 200:  # phrases far apart: show around the first ones only
            hi = min(spans[0][1] + 2 * around, len(flat))
        out, pos = [], lo
        for a, b in spans:
            if a < pos or b > hi:
                continue
            out += [html.escape(flat[pos:a]), "<mark>", html.escape(flat[a:b]), "</mark>"]
            pos = b
        out.append(html.escape(flat[pos:hi]))
        return ("…" if lo else "") + "".join(out) + ("…" if hi < len(flat) else "")
    return ""


def concept_projects(select: Select, concept: str, minimum: float) -> dict[str, list[dict[str, object]]] | None:
    """For an SDG goal or target page: projects stated for it and projects suggested (≥ minimum)."""
    if not re.fullmatch(r"http://metadata\.un\.org/sdg/\d+(\.(\d+|[a-z]))?", concept):
        return None
    c = iri(concept)
    stated = [
        {"project": _v(r, "p"), "label": _v(r, "l")}
        for r in select(
            _P
            + f"""SELECT DISTINCT ?p ?l WHERE {{ ?p sdgkg:addressesSDG {c} ; rdfs:label ?l }}
            ORDER BY ?l"""
        )
    ]
    suggested: dict[str, dict[str, object]] = {}
    for r in select(
        _P
        + f"""SELECT ?p ?l ?t ?conf ?phrase WHERE {{
            GRAPH <{SUGGESTED}> {{ ?n sdgkg:suggestionFor ?p ; sdgkg:suggestedTarget|sdgkg:suggestedGoal {c} ;
              sdgkg:suggestedTarget ?t ; sdgkg:confidence ?conf ; sdgkg:evidence/sdgkg:matchedPhrase ?phrase }}
            ?p rdfs:label ?l FILTER(?conf >= {minimum:.3f}) }}"""
    ):
        row = suggested.setdefault(_v(r, "p"), {"project": _v(r, "p"), "label": _v(r, "l"), "confidence": 0.0,
                                                 "targets": set(), "phrases": set()})  # fmt: skip
        row["confidence"] = max(row["confidence"], float(_v(r, "conf")))  # type: ignore[call-overload]
        row["targets"].add(_v(r, "t").rsplit("/", 1)[-1])  # type: ignore[union-attr]
        row["phrases"].add(_v(r, "phrase"))  # type: ignore[union-attr]
    ordered = sorted(suggested.values(), key=lambda x: (-x["confidence"], x["label"]))  # type: ignore[arg-type,operator]
    for row in ordered:
        row["targets"] = sorted(row["targets"], key=_num)  # type: ignore[arg-type]
        row["phrases"] = sorted(row["phrases"], key=str.lower)[:8]  # type: ignore[arg-type]
    return {"stated": stated, "suggested": ordered}
