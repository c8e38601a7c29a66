"""Records -> triples. Each appearance's statements go into its own named graph.

Graph IRI = appearance IRI (``…/graph/source/<doc>/<key>``); the provenance graph says which
document, lines and project it is. Values that disagree between appearances are therefore all
kept, each in the graph of the appearance that states it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from kg.errors import SourceError
from kg.graph import namespaces as ns
from kg.graph.namespaces import SDGKG
from kg.ingest.identify import Identity, identify
from kg.ingest.records import DESCRIPTIVE_FIELDS, Appearance, Field, Repair
from kg.ingest.reference import Reference
from kg.ingest.resolve import Match, Resolver
from kg.ingest.values import find_sdgs, parse_budget, parse_time_frame

Quad = tuple[URIRef, URIRef, URIRef | Literal, URIRef]

SECTION_PROPERTY = {
    "brief_description": SDGKG.briefDescription,
    "objective": SDGKG.objective,
    "main_expectations": SDGKG.mainExpectations,
    "expected_accomplishments": SDGKG.expectedAccomplishments,
    "key_accomplishments": SDGKG.keyAccomplishments,
    "outputs": SDGKG.outputs,
    "background": SDGKG.background,
    "implementation_status": SDGKG.implementationStatus,
    "feedback": SDGKG.feedback,
    "follow_up": SDGKG.followUp,
    "scope": SDGKG.scope,
}
# field -> (role slug, role type, shortcut property)
ROLE_FIELDS = {
    "lead_division": ("lead-division", SDGKG.LeadDivisionRole, SDGKG.leadDivision),
    "partners": ("partner", SDGKG.PartnerRole, SDGKG.partner),
    "donor": ("donor", SDGKG.DonorRole, SDGKG.donor),
    "funding": ("funding-source", SDGKG.FundingSourceRole, SDGKG.fundingSource),
    "implementing": ("implementing", SDGKG.ImplementingRole, SDGKG.implementer),
}
FIELD_LABEL = {
    "lead_division": "Lead Division",
    "partners": "Partners",
    "donor": "Donor",
    "funding": "Funding",
    "implementing": "Implementing",
    "focus": "Focus Countries",
    "region": "Region",
    "brief_description": "Brief Description",
    "venue": "Venue",
}
KIND_CLASS = {
    "project": SDGKG.Project,
    "tc-activity": SDGKG.TechnicalCooperationActivity,
    "component": SDGKG.ProjectComponent,
    "event": SDGKG.Event,
    "publication": SDGKG.Publication,
}
STATED_AS = {
    "field-label": SDGKG.StatedInField,
    "table-column": SDGKG.StatedInTableColumn,
    "heading": SDGKG.StatedInHeading,
    "body-text": SDGKG.StatedInBodyText,
    "context": SDGKG.InferredFromContext,
}
REPAIR_RULE = {
    "markup": SDGKG.MarkupRemoved,
    "escape": SDGKG.EscapeRemoved,
    "nbsp": SDGKG.NonBreakingSpaceNormalised,
    "boilerplate": SDGKG.BoilerplateDropped,
    "glued-label": SDGKG.GluedLabelSeparated,
    "name-correction": SDGKG.NameCorrected,
}
METHOD = {"exact": SDGKG.ExactMatch, "alias": SDGKG.AliasMatch, "corrected": SDGKG.CorrectedMatch}
PRECISION = {"day": SDGKG.DayPrecision, "month": SDGKG.MonthPrecision, "year": SDGKG.YearPrecision}
STATUS = {"current": SDGKG.Current, "past": SDGKG.Past}


@dataclass
class Mapped:
    """The triples of all appearances plus what the build should report."""

    quads: list[Quad] = field(default_factory=list)
    projects: dict[str, list[URIRef]] = field(default_factory=dict)  # key -> appearance graphs
    labels: dict[str, str] = field(default_factory=dict)  # key -> display label
    warnings: list[str] = field(default_factory=list)
    org_labels: dict[URIRef, Literal] = field(default_factory=dict)  # IATI organisations: first name seen
    referenced: dict[URIRef, str] = field(default_factory=dict)  # activities known only by identifier


def place_iri(m: Match) -> URIRef:
    """IRI of a resolved place."""
    if m.kind == "country":
        return ns.country_iri(m.ident)
    if m.kind == "region":
        return ns.region_iri(m.ident)
    return ns.group_iri(m.ident)


class AppearanceMapper:
    """Writes one appearance's triples into its graph."""

    def __init__(self, out: Mapped, resolver: Resolver, app: Appearance, who: Identity, g: URIRef):
        self.out, self.resolver, self.app, self.who, self.g = out, resolver, app, who, g
        self.p = ns.project_iri(who.key)
        self.mentions = 0
        self.repairs = 0
        self.field: URIRef | None = None  # the source field being mapped

    def _add(self, s: URIRef, p: URIRef, o: URIRef | Literal) -> None:
        self.out.quads.append((s, p, o, self.g))

    def _warn(self, line: int, message: str) -> None:
        self.out.warnings.append(f"{Path(self.app.file).name}:{line}: {message}")

    def map(self) -> None:
        """Write every field of the appearance."""
        app, p, add = self.app, self.p, self._add
        add(p, RDF.type, KIND_CLASS[self.who.kind])
        if self.who.part_of:
            add(p, SDGKG.componentOf, ns.project_iri(self.who.part_of))
        add(p, SDGKG.sourcePage, ns.source_iri(app.doc_id))
        for r in app.repairs:
            self._repair(r, None)
        if app.code:
            add(p, SDGKG.code, Literal(self.who.key))
            add(p, SDGKG.codeAsWritten, Literal(app.code))
        if app.title:
            add(p, DCTERMS.title, Literal(app.title))
        if app.status:
            add(p, SDGKG.listedStatus, STATUS[app.status])
        for i, f in enumerate(app.fields, 1):
            self.field = self._source_field(i, f)
            if f.name in DESCRIPTIVE_FIELDS:
                add(p, SECTION_PROPERTY[f.name], Literal(f.value))
                if app.kind != "teaser":  # a teaser's countries are its focus (below)
                    for m in self.resolver.countries_in_prose(f.value):
                        add(p, SDGKG.namesCountry, place_iri(m))
            elif f.name in ROLE_FIELDS:
                self._roles(f.name, f.value, f.line)
            elif f.name in ("focus", "region"):
                self._places(f.name, f.value, f.line)
            elif f.name == "venue":
                for m in self.resolver.countries_in_prose(f.value):
                    self._place(m, "venue", SDGKG.venue)
            elif f.name == "time_frame":
                self._time_frame(f.value, f.line, f.as_written, single=f.label == "Date")
            elif f.name == "budget":
                self._budget(f.value, f.line, f.as_written)
            elif f.name == "thematic_area":
                for area in f.value.split(","):
                    if area.strip() and not find_sdgs(area.strip()) and not area.strip().isdigit():
                        add(p, SDGKG.thematicArea, Literal(area.strip()))
            elif f.name == "comment":
                add(p, SDGKG.editorialComment, Literal(f.value))
        self.field = None
        if app.kind == "teaser":
            for m in self.resolver.countries_in_prose(app.fields[0].value):
                self._place(m, "brief_description", SDGKG.focusCountry)
        for code in find_sdgs(app.text):
            if code in self.resolver.ref.sdg_codes:
                add(p, SDGKG.addressesSDG, ns.sdg_iri(code))
            else:
                self._warn(app.start_line, f"'SDG {code}' is not an SDG goal or target; not linked")

    def _source_field(self, i: int, f: Field) -> URIRef:
        """The field's provenance node: how and where the source states the value, as written."""
        node, add = ns.field_iri(self.g, i), self._add
        add(self.p, SDGKG.hasField, node)
        add(node, RDF.type, SDGKG.SourceField)
        add(node, SDGKG.fieldName, Literal(f.name.replace("_", " ")))
        add(node, SDGKG.statedAs, STATED_AS[f.how])
        if f.label:
            add(node, SDGKG.labelAsWritten, Literal(f.label))
        add(node, SDGKG.line, Literal(f.line))
        add(node, SDGKG.asWritten, Literal(f.as_written))
        add(node, RDFS.label, Literal(f"{Path(self.app.file).name}:{f.line}: {f.label or f.name.replace('_', ' ')}"))
        if f.name in SECTION_PROPERTY:
            add(node, SDGKG.fieldProperty, SECTION_PROPERTY[f.name])
        if f.value != f.as_written:
            add(node, SDGKG.fieldValue, Literal(f.value))
        for r in f.repairs:
            self._repair(r, node)
        return node

    def _repair(self, r: Repair, field_node: URIRef | None) -> None:
        """A repair record: the rule, the text as written and repaired, its line; linked from the record."""
        self.repairs += 1
        node, add = ns.repair_iri(self.g, self.repairs), self._add
        add(self.p, SDGKG.hasRepair, node)
        if field_node is not None:
            add(field_node, SDGKG.hasRepair, node)
        add(node, RDF.type, SDGKG.Repair)
        add(node, SDGKG.repairRule, REPAIR_RULE[r.rule])
        add(node, SDGKG.asWritten, Literal(r.as_written))
        add(node, SDGKG.repairedValue, Literal(r.repaired))
        add(node, SDGKG.line, Literal(r.line))
        add(node, RDFS.label, Literal(f"{Path(self.app.file).name}:{r.line}: {r.rule}"))

    def _mention(self, field_name: str, as_written: str, target: URIRef | None, method: str | None) -> URIRef:
        self.mentions += 1
        m = ns.mention_iri(self.g, field_name.replace("_", "-"), self.mentions)
        self._add(self.p, SDGKG.hasMention, m)
        if self.field is not None:
            self._add(m, SDGKG.fromField, self.field)
        self._add(m, RDF.type, SDGKG.NameMention)
        self._add(m, SDGKG.asWritten, Literal(as_written))
        self._add(m, RDFS.label, Literal(f"'{as_written}'"))
        self._add(m, SDGKG.inField, Literal(FIELD_LABEL.get(field_name, field_name)))
        if target is not None and method is not None:
            self._add(m, SDGKG.refersTo, target)
            self._add(m, SDGKG.matchMethod, METHOD[method])
        return m

    def _roles(self, field_name: str, text: str, line: int) -> None:
        slug, role_type, shortcut = ROLE_FIELDS[field_name]
        matches, unresolved = self.resolver.organisations_in(text)
        for m in matches:
            org = ns.organisation_iri(m.ident)
            r = ns.role_iri(self.who.key, slug, m.ident)
            self._add(self.p, SDGKG.hasRole, r)
            self._add(r, RDF.type, SDGKG.ProjectRole)
            self._add(r, SDGKG.roleType, role_type)
            self._add(r, SDGKG.agent, org)
            self._add(r, SDGKG.asWritten, Literal(m.as_written))
            self._add(r, RDFS.label, Literal(f"{slug.replace('-', ' ')}: {m.as_written}"))
            self._add(r, SDGKG.matchMethod, METHOD[m.method])
            if self.field is not None:
                self._add(r, SDGKG.fromField, self.field)
            self._add(self.p, shortcut, org)
            if m.method == "corrected":
                self._corrected(m.as_written, self.resolver.ref.organisations[m.ident]["name"])
        for u in unresolved:
            self._mention(field_name, u.as_written, None, None)
            hint = f" (closest known name: {u.suggestion!r})" if u.suggestion else ""
            self._warn(
                line,
                f"{FIELD_LABEL[field_name]}: unknown organisation {u.as_written!r}{hint}; "
                "add it to kg/sources/reference/organisations.csv",
            )

    def _place(self, m: Match, field_name: str, country_prop: URIRef) -> None:
        target = place_iri(m)
        if m.kind == "country":
            self._add(self.p, country_prop, target)
        else:
            self._add(self.p, SDGKG.region if field_name == "region" else SDGKG.focusGroup, target)
        self._mention(field_name, m.as_written, target, m.method)
        if m.method == "corrected" and m.kind == "country":
            self._corrected(m.as_written, self.resolver.ref.countries[m.ident]["name"])

    def _corrected(self, as_written: str, name: str) -> None:
        """A misspelt name resolved by the curated alias table is a repair too."""
        line = next((f.line for f in self.app.fields if as_written in f.as_written), self.app.start_line)
        self._repair(Repair("name-correction", as_written, name, line), self.field)

    def _places(self, field_name: str, text: str, line: int) -> None:
        matches, unresolved = self.resolver.places_in(text)
        prop = SDGKG.focusCountry if field_name == "focus" else SDGKG.region
        for m in matches:
            self._place(m, field_name, prop)
        for u in unresolved:
            mention = self._mention(field_name, u.as_written, None, None)
            orgs, _ = self.resolver.organisations_in(u.as_written)
            if orgs:  # an organisation listed where a country is expected: kept, and flagged by a shape
                for o in orgs:  # the mention is resolved, to an organisation
                    self._add(mention, SDGKG.namesOrganisation, ns.organisation_iri(o.ident))
                    self._add(mention, SDGKG.refersTo, ns.organisation_iri(o.ident))
                    self._add(mention, SDGKG.matchMethod, METHOD[o.method])
                self._warn(line, f"{FIELD_LABEL[field_name]}: {u.as_written!r} is an organisation, not a place")
                continue
            hint = f" (closest known name: {u.suggestion!r})" if u.suggestion else ""
            self._warn(
                line,
                f"{FIELD_LABEL[field_name]}: unknown place {u.as_written!r}{hint}; "
                "add it to kg/sources/reference/country_aliases.csv",
            )

    def _time_frame(self, text: str, line: int, as_written: str, single: bool = False) -> None:
        try:
            tf = parse_time_frame(text, single)
        except ValueError as exc:
            raise SourceError(self.app.file, line, f"Time Frame: {exc}") from None
        start = tf.start.first() if tf.start else None
        end = tf.end.last() if tf.end else None
        node = ns.timeframe_iri(self.who.key, start, end)
        self._add(self.p, SDGKG.timeFrame, node)
        self._add(node, RDF.type, SDGKG.TimeFrame)
        self._add(node, SDGKG.asWritten, Literal(as_written))
        self._add(node, RDFS.label, Literal(text))
        if self.field is not None:
            self._add(node, SDGKG.fromField, self.field)
        if tf.start and start:
            self._add(node, ns.DCAT.startDate, Literal(start, datatype=XSD.date))
            self._add(node, SDGKG.startPrecision, PRECISION[tf.start.precision])
            self._add(self.p, ns.SCHEMA.startDate, Literal(start, datatype=XSD.date))
        if tf.end and end:
            self._add(node, ns.DCAT.endDate, Literal(end, datatype=XSD.date))
            self._add(node, SDGKG.endPrecision, PRECISION[tf.end.precision])
            self._add(self.p, ns.SCHEMA.endDate, Literal(end, datatype=XSD.date))

    def _budget(self, text: str, line: int, as_written: str) -> None:
        try:
            b = parse_budget(text)
        except ValueError as exc:
            raise SourceError(self.app.file, line, f"Budget: {exc}") from None
        amount = None if b.amount is None else str(b.amount)
        node = ns.budget_iri(self.who.key, amount, b.currency, b.basis)
        self._add(self.p, SDGKG.budget, node)
        self._add(node, RDF.type, ns.SCHEMA.MonetaryAmount)
        self._add(node, SDGKG.asWritten, Literal(as_written))
        if self.field is not None:
            self._add(node, SDGKG.fromField, self.field)
        if amount is None:
            self._add(node, RDF.type, SDGKG.UnknownAmount)
            self._add(node, RDFS.label, Literal("unknown (empty budget field)"))
            return
        shown = f"{int(b.amount):,}" if b.amount == int(b.amount) else str(b.amount)
        self._add(node, RDFS.label, Literal(f"{b.currency} {shown}" + (" a year" if b.basis == "annual" else "")))
        self._add(node, ns.SCHEMA.value, Literal(amount, datatype=XSD.decimal))
        self._add(node, ns.SCHEMA.currency, Literal(b.currency))
        self._add(
            node,
            SDGKG.budgetBasis,
            SDGKG.AnnualBudget if b.basis == "annual" else SDGKG.TotalBudget,
        )


def appearance_provenance(g: URIRef, doc_id: str, key: str, start: int, end: int, how: str) -> list[Quad]:
    """What the provenance graph says of one appearance graph: its document, project, lines and identification."""
    prov = ns.graph_iri("provenance")
    return [
        (g, RDF.type, SDGKG.Appearance, prov),
        (g, PROV.wasDerivedFrom, ns.source_iri(doc_id), prov),
        (g, SDGKG.describes, ns.project_iri(key), prov),
        (g, SDGKG.startLine, Literal(start), prov),
        (g, SDGKG.endLine, Literal(end), prov),
        (g, SDGKG.identifiedBy, Literal(how), prov),
        (g, RDFS.label, Literal(f"{doc_id} lines {start}–{end}"), prov),
    ]


def map_appearances(apps: list[Appearance], ref: Reference) -> Mapped:
    """Map all appearances (in source order) to quads, one graph per appearance."""
    out = Mapped()
    resolver = Resolver(ref)
    seen: Counter[tuple[str, str]] = Counter()
    for app in apps:
        try:
            who = identify(app, ref.register)
        except ValueError as exc:
            raise SourceError(app.file, app.start_line, str(exc)) from None
        seen[(app.doc_id, who.key)] += 1
        n = seen[(app.doc_id, who.key)]
        g = ns.appearance_graph_iri(app.doc_id, who.key if n == 1 else f"{who.key}-{n}")
        if who.fallback:
            out.warnings.append(
                f"{Path(app.file).name}:{app.start_line}: no code and not in the register; "
                f"minted project key {who.key!r} from the {who.how}"
            )
        AppearanceMapper(out, resolver, app, who, g).map()
        out.projects.setdefault(who.key, []).append(g)
        label = who.register_title or app.title
        if label and who.key not in out.labels:
            out.labels[who.key] = f"{app.code} – {label}" if app.code else label
        out.quads += appearance_provenance(g, app.doc_id, who.key, app.start_line, app.end_line, who.how)
    curation = ns.graph_iri("curation")
    for key in out.projects:
        label = out.labels.get(key) or key
        out.quads.append((ns.project_iri(key), RDFS.label, Literal(label), curation))
    return out
