"""Records: what a loader reads from one project appearance, as written, before resolution.

Loaders produce these; :mod:`kg.resolve` and :mod:`kg.mapping` turn them into triples.
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


@dataclass(frozen=True)
class Field:
    """One field of an appearance: its name, its text as written and the line it starts on."""

    name: str
    value: str
    line: int


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

    def add(self, name: str, value: str, line: int) -> None:
        """Add a field; repeated descriptive fields are joined, as a page would show them."""
        for i, f in enumerate(self.fields):
            if f.name == name and name in DESCRIPTIVE_FIELDS:
                self.fields[i] = Field(name, f"{f.value}\n{value}".strip(), f.line)
                return
        self.fields.append(Field(name, value, line))

    def get(self, name: str) -> Field | None:
        """The first field of that name, if any."""
        return next((f for f in self.fields if f.name == name), None)

    def all(self, name: str) -> list[Field]:
        """Every field of that name."""
        return [f for f in self.fields if f.name == name]
