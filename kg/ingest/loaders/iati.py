"""IATI 2.03 activity files -> :class:`kg.ingest.records.IatiActivity` records, streaming.

The file is read with lxml ``iterparse`` one ``iati-activity`` at a time (each is cleared once
read), so memory does not grow with the file. Parsing is safe for hostile files: a DOCTYPE or
entity declaration is refused before parsing, entities are never expanded, nothing is fetched.
A file that is not well-formed XML, or whose root is not ``iati-activities``, is an error with
its line; an activity that breaks the 2.03 XSD still loads, with the XSD errors as findings.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from lxml import etree

from kg.errors import SourceError
from kg.ingest.records import (
    IatiActivity,
    IatiBudget,
    IatiTransaction,
    Money,
    Narrative,
    OrgRef,
    SchemaFinding,
    SdgStatement,
    Share,
)
from kg.ingest.reference import SOURCES_DIR

IATI_DIR = SOURCES_DIR / "iati"
SCHEMA = IATI_DIR / "schema" / "iati-activities-schema.xsd"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
SDG_TAG_VOCABULARIES = {"2": "goal", "3": "target"}
SDG_SECTOR_VOCABULARIES = {"7": "goal", "8": "target", "9": "indicator"}
SDG_INDICATOR_VOCABULARY = "9"


@cache
def schema() -> etree.XMLSchema:
    """The IATI 2.03 activity schema (bundled; its imports are local files)."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(SCHEMA), parser))


_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>", re.DOTALL | re.IGNORECASE)
_START = re.compile(rb"<([A-Za-z_][\w.:-]*)")


def _prolog(path: Path) -> tuple[bytes, bytes | None]:
    """The prolog (declaration, comments, DOCTYPE) and the root element's name, if the file starts like XML."""
    with open(path, "rb") as handle:
        head = handle.read(65536)
    pos = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    while (m := _PROLOG_ITEM.match(head, pos)) is not None and m.end() > pos:
        pos = m.end()
    root = _START.match(head, pos)
    return head[:pos], (root.group(1) if root else None)


def is_iati(path: Path) -> bool:
    """Whether a file's root element is ``iati-activities`` (read from its first bytes)."""
    try:
        return _prolog(path)[1] == b"iati-activities"
    except OSError:
        return False


def _check_prolog(path: Path) -> None:
    prolog, _root = _prolog(path)
    m = _DECLARATION.search(prolog)
    if m:
        line = prolog[: m.start()].count(b"\n") + 1
        raise SourceError(path, line, "DOCTYPE and ENTITY declarations are refused in IATI files (entity expansion)")


def _narratives(elem: etree._Element | None, lang: str | None) -> tuple[Narrative, ...]:
    if elem is None:
        return ()
    return tuple(
        Narrative(" ".join((n.text or "").split()), n.get(XML_LANG) or lang)
        for n in elem.findall("narrative")
        if (n.text or "").strip()
    )


def _org(elem: etree._Element | None, lang: str | None, *, role: bool = False) -> OrgRef | None:
    if elem is None:
        return None
    activity = elem.get("activity-id") or elem.get("provider-activity-id") or elem.get("receiver-activity-id")
    return OrgRef(
        ref=(elem.get("ref") or "").strip() or None,
        type=elem.get("type"),
        names=_narratives(elem, lang),
        role=elem.get("role") if role else None,
        activity_id=(activity or "").strip() or None,
        line=elem.sourceline or 0,
    )


def _money(elem: etree._Element | None, default_currency: str | None) -> Money | None:
    if elem is None or not (elem.text or "").strip():
        return None
    return Money(elem.text.strip(), elem.get("currency") or default_currency, elem.get("value-date"))


def _date(elem: etree._Element | None) -> str | None:
    return None if elem is None else elem.get("iso-date")


def _share(elem: etree._Element, lang: str | None) -> Share:
    return Share(
        code=(elem.get("code") or "").strip(),
        vocabulary=elem.get("vocabulary"),
        percentage=elem.get("percentage"),
        line=elem.sourceline or 0,
        names=_narratives(elem, lang),
    )


def read_activity(elem: etree._Element, path: Path, doc_id: str) -> IatiActivity:
    """One ``iati-activity`` element as a record (no validation: see :func:`load_iati`)."""
    lang = elem.get(XML_LANG)
    currency = elem.get("default-currency")
    ident = elem.find("iati-identifier")
    act = IatiActivity(
        doc_id=doc_id,
        file=str(path),
        start_line=elem.sourceline or 0,
        end_line=(elem.sourceline or 0) + _line_count(elem),
        identifier=" ".join((ident.text or "").split()) if ident is not None else "",
        lang=lang,
        default_currency=currency,
        reporting_org=_org(elem.find("reporting-org"), lang),
    )
    act.titles = list(_narratives(elem.find("title"), lang))
    for d in elem.findall("description"):
        act.descriptions += [(d.get("type") or "1", n) for n in _narratives(d, lang)]
    act.participating = [o for o in (_org(e, lang, role=True) for e in elem.findall("participating-org")) if o]
    act.other_identifiers = [e.get("ref") for e in elem.findall("other-identifier") if e.get("ref")]
    status = elem.find("activity-status")
    act.status = status.get("code") if status is not None else None
    act.dates = [(e.get("type") or "", e.get("iso-date") or "") for e in elem.findall("activity-date")]
    act.countries = [_share(e, lang) for e in elem.findall("recipient-country")]
    act.regions = [_share(e, lang) for e in elem.findall("recipient-region")]
    act.sectors = [_share(e, lang) for e in elem.findall("sector")]
    act.tags = [_share(e, lang) for e in elem.findall("tag")]
    act.policy_markers = [
        (e.get("vocabulary"), e.get("code") or "", e.get("significance")) for e in elem.findall("policy-marker")
    ]
    for b in elem.findall("budget"):
        act.budgets.append(
            IatiBudget(
                type=b.get("type"),
                status=b.get("status"),
                start=_date(b.find("period-start")),
                end=_date(b.find("period-end")),
                value=_money(b.find("value"), currency),
                line=b.sourceline or 0,
            )
        )
    for t in elem.findall("transaction"):
        ttype = t.find("transaction-type")
        act.transactions.append(
            IatiTransaction(
                ref=t.get("ref"),
                type=ttype.get("code") if ttype is not None else None,
                date=_date(t.find("transaction-date")),
                value=_money(t.find("value"), currency),
                description=_narratives(t.find("description"), lang),
                provider=_org(t.find("provider-org"), lang),
                receiver=_org(t.find("receiver-org"), lang),
                line=t.sourceline or 0,
            )
        )
    act.related = [(e.get("ref") or "", e.get("type") or "") for e in elem.findall("related-activity") if e.get("ref")]
    act.sdgs = _sdg_statements(act, elem)
    return act


def _sdg_statements(act: IatiActivity, elem: etree._Element) -> list[SdgStatement]:
    """Every SDG code the activity states, in each form of the IATI SDG guidance."""
    found = [
        SdgStatement(t.code, "tag", t.vocabulary or "", t.line)
        for t in act.tags
        if t.vocabulary in SDG_TAG_VOCABULARIES
    ]
    found += [
        SdgStatement(s.code, "sector", s.vocabulary or "", s.line)
        for s in act.sectors
        if s.vocabulary in SDG_SECTOR_VOCABULARIES
    ]
    for ref in elem.iterfind("result/indicator/reference"):
        if ref.get("vocabulary") == SDG_INDICATOR_VOCABULARY and (ref.get("code") or "").strip():
            found.append(SdgStatement(ref.get("code").strip(), "result/indicator/reference", "9", ref.sourceline or 0))
    return found


def _line_count(elem: etree._Element) -> int:
    last = elem
    for last in elem.iter():  # noqa: B007 - the last descendant in document order
        pass
    return max(0, (last.sourceline or 0) - (elem.sourceline or 0))


def _findings(elem: etree._Element, position: int) -> list[SchemaFinding]:
    checker = schema()
    if checker.validate(elem):
        return []
    out = []
    for e in checker.error_log:
        inner = (e.path or "").split("/iati-activity", 1)[-1]
        out.append(SchemaFinding(e.line, f"/iati-activities/iati-activity[{position}]{inner}", e.message))
    return out


def load_iati(path: Path, doc_id: str) -> list[IatiActivity]:
    """Every activity of an IATI 2.03 file, streaming; errors name the file and line."""
    path = Path(path)
    try:
        _check_prolog(path)
    except OSError as exc:
        raise SourceError(path, None, f"cannot read the file ({exc.strerror})") from None
    activities: list[IatiActivity] = []
    context = etree.iterparse(
        str(path),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    depth = 0
    try:
        for event, elem in context:
            if event == "start":
                depth += 1
                if depth == 1 and elem.tag != "iati-activities":
                    raise SourceError(
                        path,
                        elem.sourceline,
                        f"the root element is <{elem.tag}>, not <iati-activities>: not an IATI activity file",
                    )
                continue
            depth -= 1
            if depth == 1 and elem.tag == "iati-activity":
                activity = read_activity(elem, path, doc_id)
                activity.schema_findings = _findings(elem, len(activities) + 1)
                activities.append(activity)
                elem.clear(keep_tail=False)
                parent = elem.getparent()
                while parent is not None and elem.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        raise SourceError(path, exc.lineno, f"not well-formed XML: {exc.msg}") from None
    except OSError as exc:
        raise SourceError(path, None, f"cannot read the file ({exc})") from None
    if depth != 0 and not activities:
        raise SourceError(path, None, "the file ends before </iati-activities>")
    return activities
