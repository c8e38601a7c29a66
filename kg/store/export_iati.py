"""A build -> IATI 2.03 activity XML (``kg export --format iati``), valid against the bundled XSD.

Every project goes out, imported activities and page projects alike, with its elements in the
schema's order. What the KG holds is written as it is: amounts keep their currency, unknown
budgets are left out (never 0), SDG statements go back in the element and vocabulary that
stated them, and SDG links the pages state go out as ``tag`` (goals: vocabulary 2, targets: 3)
or result indicator ``reference`` (vocabulary 9). Page projects get the identifier
``sdgkg-<key>`` under the reporting organisation ``sdgkg`` (not a registered IATI publisher).
IATI requires a date on every activity: a project without any is left out and counted.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import pyoxigraph as ox
from lxml import etree

from kg.errors import KgError
from kg.graph import namespaces as ns
from kg.ingest.loaders.iati import schema
from kg.ingest.reference import bundled_reference
from kg.store.dataset import open_store

S = str(ns.SDGKG)
DCT = "http://purl.org/dc/terms/"
SCHEMA = str(ns.SCHEMA)
DCAT = "http://www.w3.org/ns/dcat#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SDG = "http://metadata.un.org/sdg/"
CODELIST = f"{ns.BASE}iati/codelist/"
ROLE_CODES = {
    "FundingSourceRole": "1",
    "DonorRole": "1",
    "AccountableRole": "2",
    "LeadDivisionRole": "2",
    "ExtendingRole": "3",
    "ImplementingRole": "4",
    "PartnerRole": "4",
}
DESCRIPTION_TYPES = [
    ("briefDescription", "1"),
    ("objective", "2"),
    ("targetGroups", "3"),
    ("description", "4"),
    ("mainExpectations", "4"),
    ("expectedAccomplishments", "4"),
    ("keyAccomplishments", "4"),
    ("outputs", "4"),
    ("background", "4"),
    ("implementationStatus", "4"),
    ("scope", "4"),
]
RELATED = {"parentActivity": "1", "childActivity": "2", "siblingActivity": "3", "relatedActivity": "4"}


@dataclass
class Export:
    """What an export wrote and what it left out."""

    path: Path
    activities: int = 0
    skipped: list[str] = field(default_factory=list)


DERIVED = {str(ns.graph_iri(name)) for name in ("inferred", "validation", "conflicts", "text-checks", "quality")}


class Graph:
    """What the sources and reference data state (not what reasoning derived), indexed by subject."""

    def __init__(self, store: ox.Store) -> None:
        self.po: dict[str, dict[str, list[ox.NamedNode | ox.Literal]]] = defaultdict(lambda: defaultdict(list))
        for q in store:
            if isinstance(q.graph_name, ox.DefaultGraph) or q.graph_name.value in DERIVED:
                continue
            objects = self.po[q.subject.value][q.predicate.value]
            if q.object not in objects:
                objects.append(q.object)

    def all(self, s: str, p: str) -> list[ox.NamedNode | ox.Literal]:
        """Every object, sorted for a stable file."""
        return sorted(self.po.get(s, {}).get(p, []), key=lambda o: (str(o), getattr(o, "language", None) or ""))

    def one(self, s: str, p: str) -> str | None:
        """The first object's value, if any."""
        values = self.all(s, p)
        return values[0].value if values else None


def _text(parent: etree._Element, tag: str, values: list, default_lang: str = "en") -> etree._Element:
    el = etree.SubElement(parent, tag)
    for v in sorted(values, key=lambda n: (getattr(n, "language", None) not in (None, "en"), str(n))):
        n = etree.SubElement(el, "narrative")
        n.text = v.value
        lang = getattr(v, "language", None)
        if lang and lang != default_lang:
            n.set(XML_LANG, lang)
    return el


def _code(iri: str | None) -> str | None:
    return unquote(iri.rsplit("/", 1)[1]) if iri and iri.startswith(CODELIST) else None


def _identifier(g: Graph, project: str) -> str:
    stated = g.one(project, S + "iatiIdentifier")
    if stated:
        return stated
    key = project.removeprefix(str(ns.project_iri("")))
    if key.startswith("iati/"):
        return unquote(key[5:])
    return f"sdgkg-{key}"


class Writer:
    """Writes one project as an ``iati-activity``."""

    def __init__(self, g: Graph, today: str) -> None:
        self.g, self.today = g, today
        ref = bundled_reference()
        self.indicator_codes: dict[str, list[str]] = defaultdict(list)
        for row in ref.sdg_indicators:
            self.indicator_codes[row["kos_uri"]].append(row["indicator"])

    def org(
        self,
        parent: etree._Element,
        tag: str,
        org: str,
        names: list | None = None,
        org_type: str | None = None,
        **attrs: str | None,
    ) -> etree._Element:
        """An organisation element: its IATI identifier and type, and its names as written in this context."""
        g = self.g
        el = etree.SubElement(parent, tag)
        ref = g.one(org, S + "iatiOrganisationIdentifier")
        org_type = _code(org_type or g.one(org, DCT + "type"))
        for name, value in [("ref", ref), ("type", org_type), *attrs.items()]:
            if value:
                el.set(name.replace("_", "-"), value)
        names = names or g.all(org, SKOS + "prefLabel")
        if not names and ref is None:
            names = [ox.Literal(org.rsplit("/", 1)[-1])]
        for v in names:
            n = etree.SubElement(el, "narrative")
            n.text = v.value
            if getattr(v, "language", None) not in (None, "en"):
                n.set(XML_LANG, v.language)
        return el

    def write(self, root: etree._Element, p: str) -> str | None:  # noqa: C901 - one element after another
        """Append the activity; or None and the reason when IATI cannot hold it."""
        g = self.g
        starts = {t: g.one(p, S + name) for t, name in (("1", "plannedStart"), ("2", "actualStart"))}
        ends = {t: g.one(p, S + name) for t, name in (("3", "plannedEnd"), ("4", "actualEnd"))}
        if not any(starts.values()) and not any(ends.values()):
            start = min((v.value for v in g.all(p, SCHEMA + "startDate")), default=None)
            end = max((v.value for v in g.all(p, SCHEMA + "endDate")), default=None)
            if start:
                starts["2" if start <= self.today else "1"] = start
            if end:
                ends["4" if end <= self.today else "3"] = end
        if not any(starts.values()) and not any(ends.values()):
            return "no date (IATI requires an activity date)"
        act = etree.SubElement(root, "iati-activity")
        act.set(XML_LANG, "en")
        currency = g.one(p, S + "defaultCurrency")
        if currency:
            act.set("default-currency", currency)
        act.set("last-updated-datetime", f"{self.today}T00:00:00Z")
        etree.SubElement(act, "iati-identifier").text = _identifier(g, p)
        reporting = g.one(p, S + "reportingOrganisation")
        if reporting:
            names = self._ordered(g.all(p, S + "reportingOrganisationName"))
            self.org(act, "reporting-org", reporting, names, g.one(p, S + "reportingOrganisationType"))
        else:
            rep = etree.SubElement(act, "reporting-org", ref="sdgkg", type="40")
            etree.SubElement(rep, "narrative").text = "sdgkg (compiled from UN DESA DPIDG project pages)"
        titles = g.all(p, DCT + "title") or [ox.Literal(g.one(p, "http://www.w3.org/2000/01/rdf-schema#label") or p)]
        _text(act, "title", titles)
        described = False
        for name, dtype in DESCRIPTION_TYPES:
            values = g.all(p, S + name)
            if values:
                _text(act, "description", values).set("type", dtype)
                described = True
        if not described:
            d = _text(act, "description", [ox.Literal("No description is stated in the sources.")])
            d.set("type", "1")
        self.participants(act, p)
        status = _code(g.one(p, S + "activityStatus"))
        if status is None:
            listed = g.one(p, S + "listedStatus")
            ended = any(ends.values()) and max(v for v in ends.values() if v) <= self.today
            status = "4" if (listed and listed.endswith("Past")) or ended else "2"
        etree.SubElement(act, "activity-status", code=status)
        for dtype, value in sorted({**starts, **ends}.items()):
            if value:
                etree.SubElement(act, "activity-date", {"iso-date": value, "type": dtype})
        self.recipients(act, p)
        self.sectors_and_tags(act, p)
        for m in g.all(p, S + "policyMarking"):
            attrs = {"vocabulary": g.one(m.value, S + "iatiVocabulary") or "1", "code": g.one(m.value, S + "iatiCode")}
            significance = g.one(m.value, S + "significance")
            if significance:
                attrs["significance"] = significance
            etree.SubElement(act, "policy-marker", {k: v for k, v in attrs.items() if v})
        self.budgets(act, p, starts, ends)
        self.transactions(act, p)
        for name, rtype in RELATED.items():
            for other in g.all(p, S + name):
                etree.SubElement(act, "related-activity", ref=_identifier(g, other.value), type=rtype)
        self.results(act, p)
        return None

    @staticmethod
    def _ordered(names: list) -> list:
        """English (or untagged) names first, as IATI files put the default language first."""
        return sorted(names, key=lambda n: (getattr(n, "language", None) not in (None, "en"), str(n)))

    def participants(self, act: etree._Element, p: str) -> None:
        """Every role with its IATI role code (stated, or mapped from the page's role type)."""
        g = self.g
        roles = sorted(g.all(p, S + "hasRole"), key=str)
        for r in roles:
            agent = g.one(r.value, S + "agent")
            code = g.one(r.value, S + "iatiRoleCode") or ROLE_CODES.get(
                (g.one(r.value, S + "roleType") or "").rsplit("#", 1)[-1]
            )
            if agent is None or not code:
                continue
            names = self._ordered(g.all(r.value, S + "asWritten"))
            org_type = g.one(r.value, DCT + "type")
            self.org(
                act,
                "participating-org",
                agent,
                names,
                org_type,
                role=code,
                activity_id=g.one(r.value, S + "activityId"),
            )
        if not act.findall("participating-org"):
            el = etree.SubElement(act, "participating-org", role="2")
            etree.SubElement(el, "narrative").text = "Not stated in the sources"

    def recipients(self, act: etree._Element, p: str) -> None:
        """Recipient countries and regions with their percentages; page focus countries without."""
        g = self.g
        shares = [s.value for s in g.all(p, S + "recipientShare")]
        countries, regions = [], []
        for s in shares:
            vocab = g.one(s, S + "iatiVocabulary")
            item = {"code": g.one(s, S + "iatiCode"), "percentage": g.one(s, S + "percentage")}
            (regions if vocab else countries).append({**item, **({"vocabulary": vocab} if vocab else {})})
        stated = {c["code"] for c in countries}
        for c in g.all(p, S + "focusCountry"):
            iso2 = g.one(c.value, S + "iso3166Alpha2")
            if iso2 and iso2 not in stated:
                countries.append({"code": iso2, "percentage": None})
                stated.add(iso2)
        for r in g.all(p, S + "region"):
            m49 = g.one(r.value, S + "m49Code")
            if m49 and not shares:
                regions.append({"code": m49, "vocabulary": "2", "percentage": None})
        for tag, items in (("recipient-country", countries), ("recipient-region", regions)):
            for item in sorted(items, key=lambda i: (i.get("vocabulary") or "", i["code"] or "")):
                etree.SubElement(act, tag, {k: v for k, v in item.items() if v})

    def sectors_and_tags(self, act: etree._Element, p: str) -> None:
        """Sectors in their vocabularies, then SDG goals and targets as tags."""
        g = self.g
        for s in g.all(p, S + "sectorShare"):
            attrs = {
                "vocabulary": g.one(s.value, S + "iatiVocabulary") or "1",
                "code": g.one(s.value, S + "iatiCode"),
                "percentage": g.one(s.value, S + "percentage"),
            }
            etree.SubElement(act, "sector", {k: v for k, v in attrs.items() if v})
        for vocab, code in sorted(self._tags(p)):
            etree.SubElement(act, "tag", vocabulary=vocab, code=code)

    def _statements(self, p: str) -> list[tuple[str, str, str, str | None]]:
        g = self.g
        out = []
        for s in g.all(p, S + "sdgStatement"):
            out.append(
                (
                    g.one(s.value, S + "statedByElement") or "",
                    g.one(s.value, S + "iatiVocabulary") or "",
                    g.one(s.value, S + "iatiCode") or "",
                    g.one(s.value, S + "sdgConcept"),
                )
            )
        return out

    def _tags(self, p: str) -> set[tuple[str, str]]:
        statements = self._statements(p)
        tags = {(vocab, code) for element, vocab, code, _ in statements if element == "tag"}
        covered = {concept for *_, concept in statements if concept}
        for c in self.g.all(p, S + "addressesSDG"):
            code = c.value.removeprefix(SDG)
            if c.value in covered or not c.value.startswith(SDG) or code.startswith("C"):
                continue
            tags.add(("3" if "." in code else "2", code))
        return tags

    def _indicators(self, p: str) -> list[str]:
        statements = self._statements(p)
        codes = [code for element, _v, code, _c in statements if element == "result/indicator/reference"]
        covered = {concept for *_, concept in statements if concept}
        for c in self.g.all(p, S + "addressesSDG"):
            if c.value.startswith(SDG + "C") and c.value not in covered:
                codes += self.indicator_codes.get(c.value, [])[:1]
        return sorted(set(codes))

    def budgets(self, act: etree._Element, p: str, starts: dict, ends: dict) -> None:
        """Period budgets as stated; a page's known budget over the project's time frame."""
        g = self.g
        for b in g.all(p, S + "periodBudget"):
            self._budget(act, b.value, g.one(b.value, DCAT + "startDate"), g.one(b.value, DCAT + "endDate"))
        start = next((v for v in starts.values() if v), None)
        end = next((v for v in ends.values() if v), None)
        for b in g.all(p, S + "budget"):  # a page's total or annual budget: over the project's time frame
            if g.one(b.value, SCHEMA + "value") is None or not (start and end):
                continue  # an unknown budget is left out, never written as 0
            self._budget(act, b.value, start, end, btype="1", status="1")

    def _budget(self, act: etree._Element, b: str, start: str | None, end: str | None, **fixed: str) -> None:
        g = self.g
        value = g.one(b, SCHEMA + "value")
        if value is None or not start or not end:
            return
        attrs = {"type": g.one(b, S + "budgetType") or fixed.get("btype"), "status": g.one(b, S + "budgetStatus")}
        attrs["status"] = attrs["status"] or fixed.get("status")
        el = etree.SubElement(act, "budget", {k: v for k, v in attrs.items() if v})
        etree.SubElement(el, "period-start", {"iso-date": start})
        etree.SubElement(el, "period-end", {"iso-date": end})
        self._value(el, b, start)

    def _value(self, parent: etree._Element, node: str, fallback_date: str) -> None:
        g = self.g
        v = etree.SubElement(parent, "value")
        v.text = g.one(node, SCHEMA + "value")
        currency = g.one(node, SCHEMA + "currency")
        if currency:
            v.set("currency", currency)
        v.set("value-date", g.one(node, S + "valueDate") or fallback_date)

    def transactions(self, act: etree._Element, p: str) -> None:
        """Transactions in file order, with provider and receiver."""
        g = self.g
        for t in sorted(g.all(p, S + "transaction"), key=lambda t: (g.one(t.value, S + "line") or "", t.value)):
            node = t.value
            date = g.one(node, DCT + "date")
            if not date or g.one(node, SCHEMA + "value") is None:
                continue
            el = etree.SubElement(act, "transaction")
            ref = g.one(node, S + "iatiCode")
            if ref:
                el.set("ref", ref)
            etree.SubElement(el, "transaction-type", code=g.one(node, S + "transactionType") or "3")
            etree.SubElement(el, "transaction-date", {"iso-date": date})
            self._value(el, node, date)
            descriptions = g.all(node, DCT + "description")
            if descriptions:
                _text(el, "description", descriptions)
            for tag, prop, act_prop, attr in (
                ("provider-org", "provider", "providerActivity", "provider_activity_id"),
                ("receiver-org", "receiver", "receiverActivity", "receiver_activity_id"),
            ):
                org = g.one(node, S + prop)
                if org:
                    other = g.one(node, S + act_prop)
                    names = self._ordered(g.all(node, S + prop + "Name"))
                    self.org(el, tag, org, names, **{attr: _identifier(g, other) if other else None})

    def results(self, act: etree._Element, p: str) -> None:
        """SDG indicators as result indicator references (vocabulary 9)."""
        codes = self._indicators(p)
        if not codes:
            return
        result = etree.SubElement(act, "result", type="1")
        _text(result, "title", [ox.Literal("Contribution to the SDG indicators")])
        for code in codes:
            ind = etree.SubElement(result, "indicator", measure="5")
            _text(ind, "title", [ox.Literal(f"SDG indicator {code}")])
            etree.SubElement(ind, "reference", vocabulary="9", code=code)


def export_iati(build_dir: Path, out: Path, *, today: str | None = None) -> Export:
    """Write every project of a build as IATI 2.03 XML; the file is checked against the XSD first."""
    today = today or dt.date.today().isoformat()
    store = open_store(Path(build_dir))
    g = Graph(store)
    projects = sorted(s for s, po in g.po.items() if any(o.value == S + "Project" for o in po.get(RDF_TYPE, [])))
    root = etree.Element("iati-activities", version="2.03")
    root.set("generated-datetime", f"{today}T00:00:00Z")
    writer = Writer(g, today)
    result = Export(Path(out))
    for p in projects:
        reason = writer.write(root, p)
        if reason is None:
            result.activities += 1
        else:
            result.skipped.append(f"{p}: {reason}")
    checker = schema()
    if not checker.validate(root):
        first = checker.error_log[0]
        raise KgError(f"the export does not validate against the IATI 2.03 schema: {first.path}: {first.message}")
    tmp = Path(out).with_name(f".{Path(out).name}.tmp")
    etree.ElementTree(root).write(str(tmp), xml_declaration=True, encoding="UTF-8", pretty_print=True)
    tmp.replace(out)
    return result
