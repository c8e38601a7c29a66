"""IATI activity records -> quads, in the same ontology as the pages: one named graph per activity.

An activity and a page project are one project when they share an identifier: the IATI
identifier, the identifier without its reporting organisation's prefix, or an
``other-identifier``, normalised as page codes are (``DA1617B`` = ``1617B``). Otherwise the
project IRI is minted from the IATI identifier (``…/project/iati/<identifier>``), the same in
every build. Money keeps its currency; nothing is converted. SDG codes are looked up in the UN
SDG KOS (indicators by notation: 8.4.1 and 12.2.1 share one KOS concept); a code that is not
there is kept as written, unlinked, for a shape to report.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import quote

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from kg.graph import namespaces as ns
from kg.graph.mapping import Mapped, appearance_provenance
from kg.graph.namespaces import SDGKG, project_key
from kg.ingest.records import IatiActivity, IatiBudget, IatiTransaction, Money, Narrative, OrgRef, Share
from kg.ingest.reference import Reference

ROLES = {  # IATI OrganisationRole -> (role slug, role type, shortcut)
    "1": ("funding", SDGKG.FundingSourceRole, SDGKG.fundingSource),
    "2": ("accountable", SDGKG.AccountableRole, SDGKG.accountable),
    "3": ("extending", SDGKG.ExtendingRole, SDGKG.extending),
    "4": ("implementing", SDGKG.ImplementingRole, SDGKG.implementer),
}
DESCRIPTIONS = {"1": SDGKG.briefDescription, "2": SDGKG.objective, "3": SDGKG.targetGroups, "4": SDGKG.description}
DATES = {"1": SDGKG.plannedStart, "2": SDGKG.actualStart, "3": SDGKG.plannedEnd, "4": SDGKG.actualEnd}
RELATED = {
    "1": SDGKG.parentActivity,
    "2": SDGKG.childActivity,
    "3": SDGKG.siblingActivity,
    "4": SDGKG.relatedActivity,
    "5": SDGKG.relatedActivity,
}
M49_REGION_VOCABULARY = "2"


def codelist_iri(name: str, code: str) -> URIRef:
    """IRI of an IATI code-list item (the lists are in the graph ``graph/iati-codelists``)."""
    return URIRef(f"{ns.BASE}iati/codelist/{name}/{quote(code, safe='')}")


def iati_project_key(identifier: str) -> str:
    """The project key minted from an IATI identifier (percent-encoded, so it is reversible)."""
    return "iati/" + quote(identifier.strip(), safe="-._~")


def iati_org_iri(ref: str) -> URIRef:
    """IRI of an organisation known only by its IATI identifier."""
    return URIRef(f"{ns.BASE}organisation/iati/{quote(ref.strip(), safe='-._~')}")


def _lit(n: Narrative) -> Literal:
    return Literal(n.text, lang=n.lang) if n.lang else Literal(n.text)


def _decimal(text: str | None) -> Literal | None:
    try:
        return Literal(str(Decimal((text or "").strip())), datatype=XSD.decimal) if text else None
    except InvalidOperation:
        return None


def _shown(value: Money | None) -> str:
    """An amount for a label: currency and value as written."""
    return f"{value.currency or '?'} {value.value}" if value else "no value"


def _date(text: str | None) -> Literal | None:
    if not text or len(text) < 10:
        return None
    return Literal(text[:10], datatype=XSD.date)


class ActivityMapper:
    """Writes one activity's triples into its graph."""

    def __init__(self, out: Mapped, ref: Reference, act: IatiActivity, key: str, g: URIRef, keys: dict[str, str]):
        self.out, self.ref, self.act, self.key, self.g, self.keys = out, ref, act, key, g, keys
        self.p = ns.project_iri(key)
        self.iso2 = {row["iso2"]: iso3 for iso3, row in ref.countries.items() if row.get("iso2")}
        self.org_by_ref = {
            r["iati_ref"]: oid for oid, r in ref.organisations.items() if (r.get("iati_ref") or "").strip()
        }

    def _add(self, s: URIRef, p: URIRef, o: URIRef | Literal) -> None:
        self.out.quads.append((s, p, o, self.g))

    def node(self, *parts: str) -> URIRef:
        """A node of this activity, minted under the project from stable parts."""
        return URIRef(str(self.p) + "/" + "/".join(quote(x, safe="-._~") for x in parts))

    def map(self) -> None:
        """Write every element the KG keeps."""
        act, p, add = self.act, self.p, self._add
        add(p, RDF.type, SDGKG.Project)
        add(p, SDGKG.sourcePage, ns.source_iri(act.doc_id))
        add(p, SDGKG.iatiIdentifier, Literal(act.identifier))
        if act.default_currency:
            add(p, SDGKG.defaultCurrency, Literal(act.default_currency))
        for n in act.titles:
            add(p, DCTERMS.title, _lit(n))
        for dtype, n in act.descriptions:
            add(p, DESCRIPTIONS.get(dtype, SDGKG.description), _lit(n))
        if act.reporting_org:
            add(p, SDGKG.reportingOrganisation, self.organisation(act.reporting_org))
            for n in act.reporting_org.names:
                add(p, SDGKG.reportingOrganisationName, _lit(n))
            if act.reporting_org.type:
                add(p, SDGKG.reportingOrganisationType, codelist_iri("OrganisationType", act.reporting_org.type))
        for org in act.participating:
            self.role(org)
        if act.status:
            add(p, SDGKG.activityStatus, codelist_iri("ActivityStatus", act.status))
        self.dates()
        for share in act.countries:
            self.recipient(share, country=True)
        for share in act.regions:
            self.recipient(share, country=False)
        for share in act.sectors:
            self.sector(share)
        for vocab, code, significance in act.policy_markers:
            m = self.node("policy-marker", vocab or "1", code)
            add(p, SDGKG.policyMarking, m)
            add(m, RDF.type, SDGKG.PolicyMarking)
            add(m, SDGKG.iatiVocabulary, Literal(vocab or "1"))
            add(m, SDGKG.iatiCode, Literal(code))
            add(m, RDFS.label, Literal(f"policy marker {code} (significance {significance or '?'})"))
            if significance is not None:
                add(m, SDGKG.significance, Literal(significance))
        for i, b in enumerate(act.budgets, start=1):
            self.budget(i, b)
        for i, t in enumerate(act.transactions, start=1):
            self.transaction(i, t)
        for ref_id, rtype in act.related:
            prop = RELATED.get(rtype)
            if prop is not None:
                add(p, prop, ns.project_iri(self.key_of(ref_id)))
        self.sdgs()
        for i, f in enumerate(act.schema_findings, start=1):
            node = self.node("schema-finding", str(i))
            add(p, SDGKG.schemaFinding, node)
            add(node, RDF.type, SDGKG.SchemaFinding)
            add(node, SDGKG.line, Literal(f.line))
            add(node, SDGKG.xpath, Literal(f.path))
            add(node, RDFS.comment, Literal(f.message))
            add(node, RDFS.label, Literal(f"{Path(act.file).name}:{f.line}: {f.message}"))

    def key_of(self, identifier: str) -> str:
        """The project key of another activity named by its IATI identifier."""
        key = self.keys.get(identifier)
        if key is None:
            key = project_key_for(identifier, None, [], set(self.out.projects))
            self.out.referenced.setdefault(ns.project_iri(key), identifier)
        return key

    def organisation(self, org: OrgRef) -> URIRef:
        """The organisation IRI: the authority table's when its IATI identifier is known, else minted."""
        if org.ref and org.ref in self.org_by_ref:
            return ns.organisation_iri(self.org_by_ref[org.ref])
        if org.ref:
            iri = iati_org_iri(org.ref)
        else:
            name = org.names[0].text if org.names else "unnamed"
            iri = URIRef(f"{ns.BASE}organisation/iati/name/{quote(name, safe='')}")
        add = self._add
        add(iri, RDF.type, ns.ORG.Organization)
        if org.ref:
            add(iri, SDGKG.iatiOrganisationIdentifier, Literal(org.ref))
        for n in org.names:
            add(iri, SKOS.altLabel, _lit(n))
        english = [n for n in org.names if n.lang in (None, "en")]
        if iri not in self.out.org_labels and (english or not org.names):
            name = english[0].text if english else (org.ref or "unnamed organisation")
            self.out.org_labels[iri] = Literal(name, lang="en")
        if org.type:
            add(iri, DCTERMS.type, codelist_iri("OrganisationType", org.type))
        return iri

    def role(self, org: OrgRef) -> None:
        """A participating-org as a qualified role (IATI role code kept) and its shortcut."""
        slug, role_type, shortcut = ROLES.get(org.role or "", ("participating", None, SDGKG.involves))
        agent = self.organisation(org)
        ident = org.ref or (org.names[0].text if org.names else "unnamed")
        r = ns.role_iri(self.key, slug, quote(ident, safe="-._~"))
        add = self._add
        add(self.p, SDGKG.hasRole, r)
        add(r, RDF.type, SDGKG.ProjectRole)
        if role_type is not None:
            add(r, SDGKG.roleType, role_type)
        add(r, SDGKG.agent, agent)
        add(r, SDGKG.iatiRoleCode, Literal(org.role or ""))
        written = org.names[0].text if org.names else (org.ref or "")
        for n in org.names or (Narrative(written, None),):
            add(r, SDGKG.asWritten, _lit(n))
        add(r, RDFS.label, Literal(f"{slug}: {written}"))
        if org.activity_id:
            add(r, SDGKG.activityId, Literal(org.activity_id))
        if org.type:
            add(r, DCTERMS.type, codelist_iri("OrganisationType", org.type))
        add(self.p, shortcut, agent)

    def dates(self) -> None:
        """Planned and actual dates kept apart; schema:startDate/endDate take the actual, else the planned."""
        found: dict[str, Literal] = {}
        for dtype, iso in self.act.dates:
            d = _date(iso)
            if d is not None and dtype in DATES:
                self._add(self.p, DATES[dtype], d)
                found.setdefault(dtype, d)
        start = found.get("2") or found.get("1")
        end = found.get("4") or found.get("3")
        if start is not None:
            self._add(self.p, ns.SCHEMA.startDate, start)
        if end is not None:
            self._add(self.p, ns.SCHEMA.endDate, end)

    def recipient(self, share: Share, *, country: bool) -> None:
        """A recipient country (ISO alpha-2 -> country IRI) or region, with its percentage."""
        add = self._add
        vocab = "country" if country else f"region-{share.vocabulary or '1'}"
        s = self.node("recipient", vocab, share.code)
        add(self.p, SDGKG.recipientShare, s)
        add(s, RDF.type, SDGKG.Share)
        add(s, SDGKG.iatiCode, Literal(share.code))
        add(s, SDGKG.line, Literal(share.line))
        if not country:
            add(s, SDGKG.iatiVocabulary, Literal(share.vocabulary or "1"))
        pct = _decimal(share.percentage)
        if pct is not None:
            add(s, SDGKG.percentage, pct)
        target: URIRef | None = None
        if country and share.code.upper() in self.iso2:
            target = ns.country_iri(self.iso2[share.code.upper()])
            add(self.p, SDGKG.focusCountry, target)
        elif not country and share.vocabulary == M49_REGION_VOCABULARY and share.code.zfill(3) in self.ref.regions:
            target = ns.region_iri(share.code.zfill(3))
            add(self.p, SDGKG.region, target)
        elif not country and (share.vocabulary or "1") == "1":
            target = codelist_iri("Region", share.code)
        if target is not None:
            add(s, SDGKG.recipient, target)
        what = "country" if country else "region"
        add(s, RDFS.label, Literal(f"recipient {what} {share.code}" + (f" ({share.percentage}%)" if pct else "")))

    def sector(self, share: Share) -> None:
        """A sector in its vocabulary, with its percentage."""
        add = self._add
        vocab = share.vocabulary or "1"
        s = self.node("sector", vocab, share.code)
        add(self.p, SDGKG.sectorShare, s)
        add(s, RDF.type, SDGKG.Share)
        add(s, SDGKG.iatiVocabulary, Literal(vocab))
        add(s, SDGKG.iatiCode, Literal(share.code))
        add(s, SDGKG.line, Literal(share.line))
        pct = _decimal(share.percentage)
        if pct is not None:
            add(s, SDGKG.percentage, pct)
        if vocab in ("1", "2"):
            add(s, SDGKG.recipient, codelist_iri("Sector" if vocab == "1" else "SectorCategory", share.code))
        add(
            s,
            RDFS.label,
            Literal(f"sector {share.code} (vocabulary {vocab})" + (f", {share.percentage}%" if pct else "")),
        )

    def _money(self, node: URIRef, value: Money) -> None:
        amount = _decimal(value.value)
        if amount is not None:
            self._add(node, ns.SCHEMA.value, amount)
        if value.currency:
            self._add(node, ns.SCHEMA.currency, Literal(value.currency))
        vdate = _date(value.value_date)
        if vdate is not None:
            self._add(node, SDGKG.valueDate, vdate)

    def _amount_node(self, kind: str, i: int, link: URIRef, cls: URIRef, line: int, value: Money | None) -> URIRef:
        """The i-th budget or transaction node: linked from the project, typed, its line and money."""
        node = self.node(kind, str(i))
        self._add(self.p, link, node)
        self._add(node, RDF.type, cls)
        self._add(node, SDGKG.line, Literal(line))
        if value is not None:
            self._money(node, value)
        return node

    def budget(self, i: int, b: IatiBudget) -> None:
        """A period budget: type, status, period, value, currency, value date."""
        add = self._add
        node = self._amount_node("budget", i, SDGKG.periodBudget, SDGKG.PeriodBudget, b.line, b.value)
        for prop, value in ((SDGKG.budgetType, b.type), (SDGKG.budgetStatus, b.status)):
            if value:
                add(node, prop, Literal(value))
        for prop, value in ((ns.DCAT.startDate, b.start), (ns.DCAT.endDate, b.end)):
            d = _date(value)
            if d is not None:
                add(node, prop, d)
        add(node, RDFS.label, Literal(f"budget {b.start or '?'} – {b.end or '?'}: {_shown(b.value)}"))

    def transaction(self, i: int, t: IatiTransaction) -> None:
        """A transaction with its provider and receiver (organisations and activities)."""
        add = self._add
        node = self._amount_node("transaction", i, SDGKG.transaction, SDGKG.Transaction, t.line, t.value)
        if t.type:
            add(node, SDGKG.transactionType, Literal(t.type))
        d = _date(t.date)
        if d is not None:
            add(node, DCTERMS.date, d)
        if t.ref:
            add(node, SDGKG.iatiCode, Literal(t.ref))
        for n in t.description:
            add(node, DCTERMS.description, _lit(n))
        for org, prop, activity_prop, name_prop in (
            (t.provider, SDGKG.provider, SDGKG.providerActivity, SDGKG.providerName),
            (t.receiver, SDGKG.receiver, SDGKG.receiverActivity, SDGKG.receiverName),
        ):
            if org is None:
                continue
            add(node, prop, self.organisation(org))
            for n in org.names:
                add(node, name_prop, _lit(n))
            if org.activity_id:
                add(node, activity_prop, ns.project_iri(self.key_of(org.activity_id)))
        add(node, RDFS.label, Literal(f"transaction type {t.type or '?'} on {t.date or '?'}: {_shown(t.value)}"))

    def sdgs(self) -> None:
        """SDG statements of every form, linked to the KOS concept when the code is there."""
        indicators = {row["indicator"]: URIRef(row["kos_uri"]) for row in self.ref.sdg_indicators}
        goals = {g["goal"] for g in self.ref.sdg_goals}
        targets = {t["target"] for t in self.ref.sdg_targets}
        for s in self.act.sdgs:
            node = self.node("sdg", s.element.replace("/", "-"), s.vocabulary, s.code)
            add = self._add
            add(self.p, SDGKG.sdgStatement, node)
            add(node, RDF.type, SDGKG.SdgStatement)
            add(node, SDGKG.statedByElement, Literal(s.element))
            add(node, SDGKG.iatiVocabulary, Literal(s.vocabulary))
            add(node, SDGKG.iatiCode, Literal(s.code))
            add(node, SDGKG.line, Literal(s.line))
            add(node, RDFS.label, Literal(f"SDG {s.code} ({s.element}, vocabulary {s.vocabulary})"))
            level = {"2": "goal", "3": "target", "7": "goal", "8": "target", "9": "indicator"}.get(s.vocabulary)
            code = s.code.strip()
            concept: URIRef | None = None
            if level == "goal" and code in goals:
                concept = ns.sdg_iri(code)
            elif level == "target" and code in targets:
                concept = ns.sdg_iri(code)
            elif level == "indicator" and code in indicators:
                concept = indicators[code]
            if concept is not None:
                add(node, SDGKG.sdgConcept, concept)
                add(self.p, SDGKG.addressesSDG, concept)
            else:
                self.out.warnings.append(
                    f"{Path(self.act.file).name}:{s.line}: SDG {level or 'code'} {code!r} ({s.element}, vocabulary "
                    f"{s.vocabulary}) is not in the UN SDG KOS; kept as written, not linked"
                )


def project_key_for(identifier: str, reporting_ref: str | None, others: list[str], page_keys: set[str]) -> str:
    """The project key of an activity: a page project's when an identifier matches one, else minted."""
    candidates = [identifier, *others]
    if reporting_ref and identifier.startswith(reporting_ref + "-"):
        candidates.append(identifier[len(reporting_ref) + 1 :])
    for c in candidates:
        k = project_key(c)
        if k in page_keys:
            return k
    return iati_project_key(identifier)


def map_activities(acts: list[IatiActivity], ref: Reference, out: Mapped) -> None:
    """Add every activity's quads to ``out`` (which already holds the pages')."""
    page_keys = set(out.projects)
    keys = {
        a.identifier: project_key_for(
            a.identifier, a.reporting_org.ref if a.reporting_org else None, a.other_identifiers, page_keys
        )
        for a in acts
        if a.identifier
    }
    seen: dict[tuple[str, str], int] = {}
    for act in acts:
        if not act.identifier:
            out.warnings.append(
                f"{Path(act.file).name}:{act.start_line}: an iati-activity without iati-identifier; skipped"
            )
            continue
        key = keys[act.identifier]
        n = seen[(act.doc_id, key)] = seen.get((act.doc_id, key), 0) + 1
        local = key.replace("/", "-") if n == 1 else f"{key.replace('/', '-')}-{n}"
        g = ns.appearance_graph_iri(act.doc_id, local)
        ActivityMapper(out, ref, act, key, g, keys).map()
        out.projects.setdefault(key, []).append(g)
        if act.titles and key not in out.labels:
            out.labels[key] = act.titles[0].text
        merged = "" if key.startswith("iati/") else f"; merged with page project {key!r}"
        how = f"iati-identifier {act.identifier!r}{merged}"
        out.quads += appearance_provenance(g, act.doc_id, key, act.start_line, act.end_line, how)
        p = ns.project_iri(key)
        if key.startswith("iati/"):
            out.quads.append((p, RDFS.label, Literal(out.labels.get(key) or act.identifier), ns.graph_iri("curation")))
    curation = ns.graph_iri("curation")
    for org, label in sorted(out.org_labels.items()):
        out.quads.append((org, SKOS.prefLabel, label, curation))
    for activity, identifier in sorted(out.referenced.items()):
        if str(activity).removeprefix(str(ns.project_iri(""))) not in out.projects:
            label = f"IATI activity {identifier} (referenced; not in the sources)"
            out.quads.append((activity, RDFS.label, Literal(label), curation))
