"""A fast SHACL engine: each constraint of the shapes compiled to one SPARQL query on pyoxigraph.

pySHACL checks focus node by focus node in Python (12 s for the seed KG, super-linear beyond).
Here every constraint becomes a single query that returns all its violations at once, evaluated
by pyoxigraph with hash joins: target, value nodes and test in one pattern. SHACL-SPARQL
constraints run once with ``$this`` free and their rows are kept for the shape's focus nodes;
so a rule must bind ``$this`` by a triple pattern in every branch (see shapes/README.md). The
supported vocabulary is the one the shapes use; anything else raises :class:`Unsupported` and
the caller falls back to pySHACL, the reference that a test compares this engine against.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD

from kg.graph.terms import from_ox, to_ox

Node = URIRef | BNode
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"

#: constraint parameters this engine implements (with the shape-level keys it reads)
SUPPORTED = {
    SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode, SH.property, SH.path,
    SH.severity, SH.message, SH.name, SH.description, SH.order, SH.group, SH.deactivated,
    SH.minCount, SH.maxCount, SH.datatype, SH["class"], SH.nodeKind, SH.pattern, SH.flags,
    SH.minLength, SH.maxLength, SH["in"], SH.languageIn, SH.hasValue, SH.minInclusive,
    SH.maxInclusive, SH.minExclusive, SH.maxExclusive, SH.lessThan, SH.lessThanOrEquals,
    SH["or"], SH.sparql, SH.select, SH.prefixes, SH.defaultValue,
}  # fmt: skip
_STRINGS = {str(XSD.string), str(RDF.langString)}
_NODE_KINDS = {
    SH.IRI: "isIRI(?value)",
    SH.BlankNode: "isBlank(?value)",
    SH.Literal: "isLiteral(?value)",
    SH.BlankNodeOrIRI: "(isBlank(?value) || isIRI(?value))",
    SH.BlankNodeOrLiteral: "(isBlank(?value) || isLiteral(?value))",
    SH.IRIOrLiteral: "(isIRI(?value) || isLiteral(?value))",
}
_COMPARE = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}


class Unsupported(Exception):
    """The shapes use SHACL this engine does not implement."""


@dataclass(frozen=True)
class Result:
    """One validation result, as SHACL reports it (terms are rdflib's, as in the shapes graph)."""

    focus: URIRef | BNode | Literal
    severity: URIRef
    shape: Node  # sh:sourceShape
    component: URIRef  # sh:sourceConstraintComponent
    path: URIRef | None
    value: URIRef | BNode | Literal | None
    messages: tuple[str, ...]


def sparql(term: object) -> str:
    """A term in SPARQL syntax (N-Triples form)."""
    return str(to_ox(term))  # type: ignore[arg-type]


class Engine:
    """Validate a pyoxigraph store (its union of graphs) against a shapes graph."""

    def __init__(self, shapes: Graph) -> None:
        self.shapes = shapes
        self._check()

    def _check(self) -> None:
        for shape in self._shapes():
            for node in [shape, *self.shapes.objects(shape, SH.property)]:
                for p in set(self.shapes.predicates(node)):
                    if str(p).startswith(str(SH)) and p not in SUPPORTED:
                        raise Unsupported(f"{p} on {node}")
                path = self.shapes.value(node, SH.path)
                if isinstance(path, BNode) and set(self.shapes.predicates(path)) != {SH.inversePath}:
                    raise Unsupported(f"a complex property path on {node}")
            for c in self.shapes.objects(shape, SH.sparql):
                if any(v in str(self.shapes.value(c, SH.select)) for v in ("$shapesGraph", "$currentShape")):
                    raise Unsupported(f"$shapesGraph/$currentShape in {shape}")

    def _shapes(self) -> list[Node]:
        found = set(self.shapes.subjects(RDF.type, SH.NodeShape))
        for p in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode, SH.sparql):
            found |= set(self.shapes.subjects(p, None))
        return sorted(found, key=str)  # type: ignore[arg-type]

    def validate(self, store: ox.Store) -> list[Result]:
        """Every result of every active shape."""
        self.store = store
        self._subclasses: dict[object, str] = {}
        results: list[Result] = []
        for shape in self._shapes():
            if self.shapes.value(shape, SH.deactivated) == Literal(True):
                continue
            target = self._target(shape)
            if target is None:
                continue
            results += self._constraints(shape, target, None)
            for prop in sorted(self.shapes.objects(shape, SH.property), key=str):
                if self.shapes.value(prop, SH.deactivated) != Literal(True):
                    results += self._constraints(prop, target, self.shapes.value(prop, SH.path))  # type: ignore[arg-type]
        return results

    # -- targets and value nodes ---------------------------------------------------------------

    def _target(self, shape: Node) -> str | None:
        """A SPARQL group binding ``?this`` to every focus node of the shape."""
        g = self.shapes
        parts = [f"{{ {self._typed('?this', c)} }}" for c in g.objects(shape, SH.targetClass)]
        parts += [f"{{ ?this {sparql(p)} ?t_ }}" for p in g.objects(shape, SH.targetSubjectsOf)]
        parts += [f"{{ ?t_ {sparql(p)} ?this }}" for p in g.objects(shape, SH.targetObjectsOf)]
        nodes = " ".join(sparql(n) for n in g.objects(shape, SH.targetNode))
        if nodes:
            parts.append(f"{{ VALUES ?this {{ {nodes} }} }}")
        if not parts:
            return None
        return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " } }"

    def _path(self, path: Node | None) -> str | None:
        if path is None:
            return None
        if isinstance(path, BNode):
            return "^" + sparql(self.shapes.value(path, SH.inversePath))
        return sparql(path)

    def _values(self, path: Node | None) -> str:
        p = self._path(path)
        return f"?this {p} ?value ." if p else "BIND(?this AS ?value)"

    # -- constraints ---------------------------------------------------------------------------

    def _constraints(self, shape: Node, target: str, path: Node | None) -> list[Result]:
        g = self.shapes
        values = self._values(path)
        found: list[Result] = []

        def run(component: str, query: str, with_value: bool = True) -> None:
            for row in self._select(query):
                value = row.get("value") if with_value else None
                found.append(self._result(shape, row["this"], SH[component], path, value))

        for n in g.objects(shape, SH.minCount):
            p = self._path(path)
            run(
                "MinCountConstraintComponent",
                f"SELECT ?this WHERE {{ {target} OPTIONAL {{ ?this {p} ?value }} }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) < {int(n)})",
                with_value=False,
            )
        for n in g.objects(shape, SH.maxCount):
            run(
                "MaxCountConstraintComponent",
                f"SELECT ?this WHERE {{ {target} {values} }} GROUP BY ?this HAVING (COUNT(DISTINCT ?value) > {int(n)})",
                with_value=False,
            )
        for dt in g.objects(shape, SH.datatype):
            found += self._datatype(shape, target, path, values, dt)  # type: ignore[arg-type]
        tests = self._tests(shape)
        for component, test in tests:
            run(component, f"SELECT ?this ?value WHERE {{ {target} {values} FILTER(!({test})) }}")
        for v in g.objects(shape, SH.hasValue):
            p = self._path(path) or "?no_path"
            run(
                "HasValueConstraintComponent",
                f"SELECT ?this WHERE {{ {target} FILTER NOT EXISTS {{ ?this {p} {sparql(v)} }} }}",
                with_value=False,
            )
        for other, op, name in [(o, "<=", "LessThanOrEquals") for o in g.objects(shape, SH.lessThanOrEquals)] + [
            (o, "<", "LessThan") for o in g.objects(shape, SH.lessThan)
        ]:
            run(
                f"{name}ConstraintComponent",
                f"SELECT ?this ?value WHERE {{ {target} {values} ?this {sparql(other)} ?other_ . "
                f"FILTER(!COALESCE(?value {op} ?other_, false)) }}",
            )
        for c in g.objects(shape, SH.sparql):
            found += self._sparql(shape, target, c)  # type: ignore[arg-type]
        return found

    def _tests(self, shape: Node) -> list[tuple[str, str]]:
        """(component, SPARQL expression true when ?value conforms) for the value-node tests."""
        g = self.shapes
        tests: list[tuple[str, str]] = []
        for c in g.objects(shape, SH["class"]):
            tests.append(("ClassConstraintComponent", f"EXISTS {{ {self._typed('?value', c)} }}"))
        for kind in g.objects(shape, SH.nodeKind):
            tests.append(("NodeKindConstraintComponent", _NODE_KINDS[kind]))  # type: ignore[index]
        for pattern in g.objects(shape, SH.pattern):
            flags = g.value(shape, SH.flags)
            args = sparql(Literal(str(pattern))) + (", " + sparql(Literal(str(flags))) if flags else "")
            tests.append(("PatternConstraintComponent", f"!isBlank(?value) && REGEX(STR(?value), {args})"))
        for n in g.objects(shape, SH.minLength):
            tests.append(("MinLengthConstraintComponent", f"!isBlank(?value) && STRLEN(STR(?value)) >= {int(n)}"))
        for n in g.objects(shape, SH.maxLength):
            tests.append(("MaxLengthConstraintComponent", f"!isBlank(?value) && STRLEN(STR(?value)) <= {int(n)}"))
        for lst in g.objects(shape, SH["in"]):
            members = " || ".join(f"sameTerm(?value, {sparql(m)})" for m in Collection(g, lst)) or "false"
            tests.append(("InConstraintComponent", members))
        for lst in g.objects(shape, SH.languageIn):
            ranges = " || ".join(f"langMatches(LANG(?value), {sparql(Literal(str(r)))})" for r in Collection(g, lst))
            tests.append(("LanguageInConstraintComponent", f"isLiteral(?value) && ({ranges or 'false'})"))
        for key, op in _COMPARE.items():
            for bound in g.objects(shape, key):
                name = str(key).rsplit("#", 1)[1]
                component = f"{name[0].upper()}{name[1:]}ConstraintComponent"
                tests.append((component, f"COALESCE(?value {op} {sparql(bound)}, false)"))
        for lst in g.objects(shape, SH["or"]):
            members = [self._conforms(m) for m in Collection(g, lst)]
            tests.append(("OrConstraintComponent", " || ".join(f"({m})" for m in members) or "false"))
        return tests

    def _conforms(self, member: Node) -> str:
        """An sh:or member shape as a SPARQL expression on ?value."""
        g = self.shapes
        keys = set(g.predicates(member)) - {SH.message, SH.name, SH.severity}
        parts: list[str] = []
        path = g.value(member, SH.path)
        if path is not None:
            if keys - {SH.path, SH.minCount} or any(int(n) != 1 for n in g.objects(member, SH.minCount)):  # type: ignore[call-overload]
                raise Unsupported(f"a property shape in sh:or beyond sh:minCount 1 ({member})")
            return f"EXISTS {{ ?value {self._path(path)} ?or_value }}"
        for dt in g.objects(member, SH.datatype):
            parts.append(f"(isLiteral(?value) && DATATYPE(?value) = {sparql(dt)})")
        keys.discard(SH.datatype)
        for _component, test in self._tests(member):
            parts.append(f"({test})")
        if keys - {SH["class"], SH.nodeKind, SH.pattern, SH.flags, SH.minLength, SH.maxLength, SH["in"], SH.languageIn,
                   *_COMPARE}:  # fmt: skip
            raise Unsupported(f"{sorted(map(str, keys))} in an sh:or member")
        return " && ".join(parts) or "true"

    def _datatype(self, shape: Node, target: str, path: Node | None, values: str, dt: URIRef) -> list[Result]:
        """sh:datatype: the wrong datatype in SPARQL; ill-formed lexical forms checked here."""
        out = [
            self._result(shape, row["this"], SH.DatatypeConstraintComponent, path, row["value"])
            for row in self._select(
                f"SELECT ?this ?value WHERE {{ {target} {values} "
                f"FILTER(!(isLiteral(?value) && DATATYPE(?value) = {sparql(dt)})) }}"
            )
        ]
        if str(dt) not in _STRINGS:
            # each distinct lexical form is checked once (rdflib's ill_typed, as pySHACL does); the
            # focus nodes are looked up only for the ill-formed ones, which are rare
            query = f"SELECT DISTINCT ?value WHERE {{ {target} {values} FILTER(DATATYPE(?value) = {sparql(dt)}) }}"
            bad = [row["value"] for row in self._select(query) if getattr(row["value"], "ill_typed", False)]
            if bad:
                listed = " ".join(sparql(v) for v in bad)
                query = f"SELECT ?this ?value WHERE {{ VALUES ?value {{ {listed} }} {target} {values} }}"
                for row in self._select(query):
                    out.append(self._result(shape, row["this"], SH.DatatypeConstraintComponent, path, row["value"]))
        return out

    def _sparql(self, shape: Node, target: str, constraint: Node) -> list[Result]:
        g = self.shapes
        prefixes = "".join(
            f"PREFIX {g.value(d, SH.prefix)}: <{g.value(d, SH.namespace)}>\n"
            for source in g.objects(constraint, SH.prefixes)
            for d in g.objects(source, SH.declare)
        )
        select = str(g.value(constraint, SH.select))
        focus = {row["this"] for row in self._select(f"SELECT ?this WHERE {target}")}
        messages = tuple(str(m) for m in g.objects(constraint, SH.message)) or tuple(
            str(m) for m in g.objects(shape, SH.message)
        )
        out = []
        for row in self._select(prefixes + select):
            this = row.get("this")
            if this is None or this not in focus:
                continue
            texts = tuple(_fill(m, row) for m in messages)
            value = row.get("value", this)
            path = row.get("path")
            out.append(Result(this, self._severity(shape), shape, SH.SPARQLConstraintComponent, path, value, texts))  # type: ignore[arg-type]
        return list(dict.fromkeys(out))  # identical rows are one result (as in pySHACL)

    # -- helpers -------------------------------------------------------------------------------

    def _select(self, query: str) -> Iterator[dict[str, URIRef | BNode | Literal]]:
        try:
            solutions = self.store.query(query, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise Unsupported(f"a query pyoxigraph cannot parse ({exc}): {query[:200]}") from exc
        assert isinstance(solutions, ox.QuerySolutions)
        names = [v.value for v in solutions.variables]
        for solution in solutions:
            yield {n: from_ox(solution[n]) for n in names if solution[n] is not None}  # type: ignore[misc]

    def _typed(self, var: str, cls: object) -> str:
        """A pattern true when ``var`` is a SHACL instance of ``cls`` (rdf:type/rdfs:subClassOf*).

        The subclasses are looked up once, so the pattern is one index lookup per node instead
        of a property-path walk per node.
        """
        if cls not in self._subclasses:
            rows = self._select(f"SELECT DISTINCT ?c WHERE {{ ?c <{RDFS.subClassOf}>* {sparql(cls)} }}")
            self._subclasses[cls] = " ".join(sorted({sparql(r["c"]) for r in rows} | {sparql(cls)}))
        return f"VALUES ?class_ {{ {self._subclasses[cls]} }} {var} {RDF_TYPE} ?class_ ."

    def _severity(self, shape: Node) -> URIRef:
        return self.shapes.value(shape, SH.severity) or SH.Violation  # type: ignore[return-value]

    def _result(self, shape: Node, focus: object, component: URIRef, path: Node | None, value: object) -> Result:
        messages = tuple(sorted(str(m) for m in self.shapes.objects(shape, SH.message)))
        return Result(
            focus,  # type: ignore[arg-type]
            self._severity(shape),
            shape,
            component,
            path if isinstance(path, URIRef) else None,
            value,  # type: ignore[arg-type]
            messages,
        )


def _fill(message: str, row: dict[str, URIRef | BNode | Literal]) -> str:
    """Put a solution's bindings into ``{?var}`` / ``{$var}`` placeholders, as pySHACL does."""
    for name, value in row.items():
        message = re.sub(r"\{[?$]" + re.escape(name) + r"\}", lambda _m, v=value: str(v), message)
    return message
