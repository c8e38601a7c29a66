"""Conversion between rdflib and pyoxigraph terms, in one place.

The pipeline maps records with rdflib terms and stores, queries and writes with pyoxigraph.
A large build crosses once, as N-Quads text (:class:`NTriples`), which pyoxigraph bulk-parses;
the reference engines (owlrl, pySHACL) read rdflib graphs. Each crossing goes through here.
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

_XSD_STRING = str(XSD.string)
OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal
RdflibTerm = URIRef | BNode | Literal


def to_ox(t: RdflibTerm) -> OxTerm:
    """An rdflib term as a pyoxigraph term (plain literals become xsd:string)."""
    if isinstance(t, URIRef):
        return ox.NamedNode(str(t))
    if isinstance(t, BNode):
        return ox.BlankNode(str(t))
    if t.language:
        return ox.Literal(str(t), language=t.language)
    return ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype or XSD.string)))


def from_ox(t: OxTerm) -> RdflibTerm:
    """A pyoxigraph term as an rdflib term (xsd:string as a plain literal, which rdflib compares apart)."""
    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return BNode(t.value)
    if t.language:
        return Literal(t.value, lang=t.language)
    if t.datatype.value == _XSD_STRING:
        return Literal(t.value)
    return Literal(t.value, datatype=URIRef(t.datatype.value))


class NTriples:
    """rdflib terms as N-Triples text, each distinct term converted (and checked) once.

    A million-quad build has a few hundred thousand distinct terms: converting each once and
    writing text lets pyoxigraph parse the whole dataset in one call instead of building a
    Python object per term occurrence.
    """

    def __init__(self) -> None:
        self._text: dict[RdflibTerm, str] = {}
        self._terms: dict[str, RdflibTerm] = {}

    def __call__(self, t: RdflibTerm) -> str:
        """The N-Triples text of ``t``."""
        text = self._text.get(t)
        if text is None:
            text = self._text[t] = str(to_ox(t))
        return text

    def term(self, text: str) -> RdflibTerm:
        """The term a text was made from (every text this converter produced)."""
        if len(self._terms) != len(self._text):
            self._terms = {v: k for k, v in self._text.items()}
        return self._terms[text]
