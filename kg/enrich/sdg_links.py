"""Projects' texts → SDG suggestions → the quads of ``graph/suggested``.

The texts are a project's title and every descriptive section (``sdgkg:description`` and its
sub-properties, read from the ontology) in any source. Suggestions live in their own named graph
and are never reasoned over, so they cannot leak into the source graphs or the inferred graph.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from kg.enrich.sdg import METHOD, VERSION, Tagger, default_tagger
from kg.graph import namespaces as ns
from kg.graph.namespaces import SDGKG

SUGGESTED_GRAPH = ns.graph_iri("suggested")
Quad = tuple[URIRef, URIRef, URIRef | Literal, URIRef]


def descriptive_properties(tbox: Iterable[tuple[object, object, object, object]]) -> set[URIRef]:
    """dct:title, sdgkg:description and every property declared below it in the ontology."""
    below: dict[object, set[object]] = {}
    for s, p, o, _g in tbox:
        if p == RDFS.subPropertyOf:
            below.setdefault(o, set()).add(s)
    found: set[URIRef] = {SDGKG.description}
    todo = [SDGKG.description]
    while todo:
        for child in below.get(todo.pop(), ()):
            if isinstance(child, URIRef) and child not in found:
                found.add(child)
                todo.append(child)
    return found | {DCTERMS.title}


def project_texts(quads: Iterable[Quad], fields: set[URIRef]) -> dict[URIRef, dict[str, list[str]]]:
    """For each project: its text fields (property IRI → distinct texts, in source order)."""
    projects: set[URIRef] = set()
    texts: dict[URIRef, dict[str, list[str]]] = {}
    for s, p, o, _g in quads:
        if p == RDF.type and o == SDGKG.Project:
            projects.add(s)
        elif p in fields and isinstance(o, Literal):
            values = texts.setdefault(s, {}).setdefault(str(p), [])
            if str(o) not in values:
                values.append(str(o))
    return {p: texts[p] for p in sorted(projects) if p in texts}


def suggestion_quads(
    quads: list[Quad],
    tbox: Iterable[tuple[object, object, object, object]],
    tagger: Tagger | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[Quad], int]:
    """The quads of graph/suggested for every project of ``quads``, and how many projects got any."""
    return suggestions_for_texts(project_texts(quads, descriptive_properties(tbox)), tagger, progress)


def suggestions_for_texts(
    texts: dict[URIRef, dict[str, list[str]]],
    tagger: Tagger | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[Quad], int]:
    """The quads of graph/suggested for projects' texts (:func:`project_texts`)."""
    tagger = tagger or default_tagger()
    g = SUGGESTED_GRAPH
    method = ns.method_iri(f"{METHOD}-{VERSION}")
    out: list[Quad] = [
        (g, RDF.type, PROV.Entity, g),
        (g, PROV.wasGeneratedBy, method, g),
        (method, RDF.type, SDGKG.SuggestionMethod, g),
        (method, RDFS.label, Literal(f"SDG target suggestions from text ({METHOD})", lang="en"), g),
        (method, DCTERMS.hasVersion, Literal(VERSION), g),
        (method, SDGKG.ruleCount, Literal(len(tagger.rules)), g),
        (method, RDFS.comment, Literal(
            "Weighted Boolean rules (Aurora Universities Network SDG queries v5.0 and the sdgkg lexicon) "
            "matched against the project's title and descriptive sections; confidence = "
            f"1 - exp(-goal score / {tagger.scale}), times the target's evidence strength relative to its "
            "goal's best target.",
            lang="en"), g),
    ]  # fmt: skip
    tagged = 0
    described: set[URIRef] = set()
    for n, (project, fields) in enumerate(texts.items(), start=1):
        suggestions = tagger.suggest_fields(fields)
        tagged += bool(suggestions)
        for s in suggestions:
            node = ns.suggestion_iri(project, s.target)
            target, goal = URIRef(s.target_iri), URIRef(s.goal_iri)
            out += [
                (project, SDGKG.suggestedSDG, target, g),
                (node, RDF.type, SDGKG.SdgSuggestion, g),
                (node, SDGKG.suggestionFor, project, g),
                (node, SDGKG.suggestedTarget, target, g),
                (node, SDGKG.suggestedGoal, goal, g),
                (node, SDGKG.confidence, Literal(Decimal(f"{s.confidence:.3f}"), datatype=XSD.decimal), g),
                (node, SDGKG.suggestionMethod, method, g),
            ]
            for e in s.evidence:
                ev = ns.evidence_iri(node, e.rule, re.split("[#/]", e.field)[-1])
                rule = ns.rule_iri(method, e.rule)
                if rule not in described:
                    described.add(rule)
                    out += [
                        (rule, RDF.type, SDGKG.SuggestionRule, g),
                        (rule, RDFS.label, Literal(e.rule), g),
                        (rule, SDGKG.ruleQuery, Literal(e.query), g),
                        (rule, SDGKG.ruleWeight, Literal(Decimal(str(e.weight)), datatype=XSD.decimal), g),
                        (rule, SDGKG.ruleTarget, target, g),
                    ]
                out += [(node, SDGKG.evidence, ev, g), (ev, SDGKG.matchedRule, rule, g),
                        (ev, SDGKG.textField, URIRef(e.field), g)]  # fmt: skip
                out += [(ev, SDGKG.matchedPhrase, Literal(phrase), g) for phrase in e.phrases]
        if progress and n % 500 == 0:
            progress(n, len(texts))
    return out, tagged
