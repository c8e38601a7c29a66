"""Records: what a loader reads from one project appearance, as written, before resolution.

Loaders produce these; :mod:`kg.ingest.resolve` and :mod:`kg.graph.mapping` turn them into triples.
Keeping them plain data means a new source (CSV, IATI XML) is one new loader.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Field names a record may carry. Descriptive ones map to sub-properties of sdgkg:description.
DESCRIPTIVE_FIELDS = (
    "brief_description",
    "objective",
    "main_expectations",
    "expected_accomplishments",
    "key_accomplishments",
    "outputs",
    "background",
    "implementation_status",
    "feedback",
    "follow_up",
    "scope",
)
VALUE_FIELDS = (
    "lead_division",
    "partners",
    "donor",
    "funding",
    "implementing",
    "budget",
    "time_frame",
    "thematic_area",
    "region",
    "focus",
    "comment",
)


# How a value was stated in its source (sdgkg:StatedAs concepts in the ontology).
FIELD_LABEL, TABLE_COLUMN, HEADING, BODY_TEXT, CONTEXT = (
    "field-label",
    "table-column",
    "heading",
    "body-text",
    "context",
)
STATED_AS = (FIELD_LABEL, TABLE_COLUMN, HEADING, BODY_TEXT, CONTEXT)
# What a record is (sdgkg:Project and its siblings in the ontology).
RECORD_KINDS = ("project", "tc-activity", "component", "event", "publication")


@dataclass(frozen=True)
class Repair:
    """A cleaning rule applied to the source text: what was written, what it became, where."""

    rule: str  # "markup", "escape", "nbsp", "boilerplate", "glued-label", "name-correction"
    as_written: str
    repaired: str
    line: int


@dataclass(frozen=True)
class Field:
    """One field of an appearance: its name, its (cleaned) value and the line it starts on.

    ``raw`` is the text exactly as the source has it (``None``: the same as ``value``), ``how``
    says how the source stated it and ``label`` the field label or table column as written.
    """

    name: str
    value: str
    line: int
    how: str = FIELD_LABEL
    label: str | None = None
    raw: str | None = None
    repairs: tuple[Repair, ...] = ()

    @property
    def as_written(self) -> str:
        """The source's own text for the value."""
        return self.value if self.raw is None else self.raw


@dataclass
class Appearance:
    """One place where a project appears in one source document."""

    doc_id: str
    file: str
    start_line: int
    end_line: int
    kind: str  # "block", "teaser", "table-row", "section", "mention"
    status: str | None = None  # "current" / "past" as listed, or None
    code: str | None = None  # the code exactly as written
    title: str | None = None
    fields: list[Field] = field(default_factory=list)
    text: str = ""  # the appearance's full text, for identification
    record: str = "project"  # one of RECORD_KINDS
    part_of: str | None = None  # the key of the parent project (components, events, publications)
    repairs: list[Repair] = field(default_factory=list)  # repairs outside any field (boilerplate)

    def add(  # noqa: PLR0913
        self,
        name: str,
        value: str,
        line: int,
        how: str = FIELD_LABEL,
        label: str | None = None,
        raw: str | None = None,
        repairs: tuple[Repair, ...] = (),
    ) -> None:
        """Add a field; repeated descriptive fields are joined, as a page would show them."""
        for i, f in enumerate(self.fields):
            if f.name == name and name in DESCRIPTIVE_FIELDS:
                joined_raw = f"{f.as_written}\n{value if raw is None else raw}".strip()
                joined = f"{f.value}\n{value}".strip()
                self.fields[i] = Field(
                    name, joined, f.line, f.how, f.label, None if joined_raw == joined else joined_raw,
                    f.repairs + tuple(repairs),
                )  # fmt: skip
                return
        self.fields.append(Field(name, value, line, how, label, None if raw == value else raw, tuple(repairs)))

    def get(self, name: str) -> Field | None:
        """The first field of that name, if any."""
        return next((f for f in self.fields if f.name == name), None)

    def all(self, name: str) -> list[Field]:
        """Every field of that name."""
        return [f for f in self.fields if f.name == name]


# --------------------------------------------------------------------------- IATI activities
# An IATI activity is structured data, not text: its record keeps the elements and attributes
# as written (codes, percentages, amounts as strings) and the line each starts on.


@dataclass(frozen=True)
class Narrative:
    """A narrative text with its language (the activity's default when not given)."""

    text: str
    lang: str | None


@dataclass(frozen=True)
class OrgRef:
    """An organisation named in an activity: reporting, participating, provider or receiver."""

    ref: str | None
    type: str | None
    names: tuple[Narrative, ...]
    role: str | None = None  # OrganisationRole code (participating-org)
    activity_id: str | None = None  # the organisation's own activity identifier
    line: int = 0


@dataclass(frozen=True)
class Money:
    """An amount as written, its currency (own or the activity's default) and value date."""

    value: str
    currency: str | None
    value_date: str | None


@dataclass(frozen=True)
class Share:
    """A coded classification with an optional percentage: recipient country or region, sector."""

    code: str
    vocabulary: str | None
    percentage: str | None
    line: int
    names: tuple[Narrative, ...] = ()


@dataclass(frozen=True)
class IatiBudget:
    """One budget element."""

    type: str | None
    status: str | None
    start: str | None
    end: str | None
    value: Money | None
    line: int


@dataclass(frozen=True)
class IatiTransaction:
    """One transaction element."""

    ref: str | None
    type: str | None
    date: str | None
    value: Money | None
    description: tuple[Narrative, ...]
    provider: OrgRef | None
    receiver: OrgRef | None
    line: int


@dataclass(frozen=True)
class SdgStatement:
    """An SDG goal, target or indicator code as a publisher stated it, and where."""

    code: str
    element: str  # "tag", "sector" or "result/indicator/reference"
    vocabulary: str
    line: int


@dataclass(frozen=True)
class SchemaFinding:
    """An IATI 2.03 XSD error inside one activity: the rest of the file still loads."""

    line: int
    path: str
    message: str


@dataclass
class IatiActivity:
    """One ``iati-activity`` element of an IATI 2.03 file."""

    doc_id: str
    file: str
    start_line: int
    end_line: int
    identifier: str
    lang: str | None = None
    default_currency: str | None = None
    reporting_org: OrgRef | None = None
    titles: list[Narrative] = field(default_factory=list)
    descriptions: list[tuple[str, Narrative]] = field(default_factory=list)  # (DescriptionType, text)
    participating: list[OrgRef] = field(default_factory=list)
    other_identifiers: list[str] = field(default_factory=list)
    status: str | None = None
    dates: list[tuple[str, str]] = field(default_factory=list)  # (ActivityDateType, iso date)
    countries: list[Share] = field(default_factory=list)
    regions: list[Share] = field(default_factory=list)
    sectors: list[Share] = field(default_factory=list)
    tags: list[Share] = field(default_factory=list)
    policy_markers: list[tuple[str | None, str, str | None]] = field(default_factory=list)  # vocab, code, sig.
    budgets: list[IatiBudget] = field(default_factory=list)
    transactions: list[IatiTransaction] = field(default_factory=list)
    related: list[tuple[str, str]] = field(default_factory=list)  # (ref, RelatedActivityType)
    sdgs: list[SdgStatement] = field(default_factory=list)
    schema_findings: list[SchemaFinding] = field(default_factory=list)
