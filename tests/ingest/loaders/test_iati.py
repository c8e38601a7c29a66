"""The IATI 2.03 loader: the annotated example read element by element, SDG statements in every
form of the guidance, XSD errors as findings, and clean errors for broken or hostile files."""

import subprocess
import sys
from pathlib import Path

import pytest

from kg.errors import SourceError
from kg.ingest.loaders.iati import is_iati, load_iati
from kg.ingest.reference import SOURCES_DIR
from tests.conftest import DATA, ROOT

EXAMPLE = SOURCES_DIR / "iati" / "examples" / "activity-standard-example-annotated.xml"
FIXTURES = DATA / "iati"


@pytest.fixture(scope="module")
def example():
    acts = load_iati(EXAMPLE, "iati-example")
    assert len(acts) == 1
    return acts[0]


def test_example_identifier_orgs_and_texts(example):
    assert example.identifier == "AA-AAA-123456789-ABC123"
    assert example.reporting_org.ref == "AA-AAA-123456789" and example.reporting_org.type == "40"
    assert [(n.text, n.lang) for n in example.titles] == [
        ("Activity title", "en"), ("Titre de l'activité", "fr"), ("Título de la actividad", "es")]
    assert [t for t, _ in example.descriptions] == ["1", "1", "2", "2", "3", "3"]
    assert [(o.ref, o.role, o.activity_id) for o in example.participating] == [
        ("BB-BBB-123456789", "1", "BB-BBB-123456789-1234"),
        ("CC-CCC-123456789", "2", "CC-CCC-123456789-1234"),
        ("AA-AAA-123456789", "3", "AA-AAA-123456789-1234")]
    assert example.other_identifiers == ["ABC123-XYZ"]
    assert example.default_currency == "USD" and example.lang == "en"


def test_example_status_dates_places_and_sectors(example):
    assert example.status == "2"
    assert example.dates == [("1", "2012-04-15"), ("2", "2012-04-28"), ("3", "2015-12-31")]
    assert [(c.code, c.percentage) for c in example.countries] == [("AF", "25"), ("AG", "25")]
    assert [(r.code, r.vocabulary, r.percentage) for r in example.regions] == [("489", "1", "25"), ("A1", "99", "25")]
    assert [(s.code, s.vocabulary, s.percentage) for s in example.sectors] == [
        ("111", "2", "50"), ("112", "2", "50"), ("A1", "99", "100")]
    assert example.policy_markers == [("1", "2", "3"), ("1", "9", "4"), ("99", "A1", "3")]


def test_example_money_and_links(example):
    (b,) = example.budgets
    assert (b.type, b.status, b.start, b.end) == ("1", "1", "2014-01-01", "2014-12-31")
    assert (b.value.value, b.value.currency, b.value.value_date) == ("3000", "EUR", "2014-01-01")
    (t,) = example.transactions
    assert (t.ref, t.type, t.date, t.value.value, t.value.currency) == ("1234", "1", "2012-01-01", "1000", "EUR")
    assert (t.provider.ref, t.provider.activity_id) == ("BB-BBB-123456789", "BB-BBB-123456789-1234AA")
    assert (t.receiver.ref, t.receiver.activity_id) == ("AA-AAA-123456789", "AA-AAA-123456789-1234")
    assert example.related == [("AA-AAA-123456789-6789", "1")]
    assert example.schema_findings == [] and example.sdgs == []  # the example is valid and states no SDG
    assert example.start_line < t.line < example.end_line


def test_every_sdg_form_of_the_guidance_is_read():
    (act,) = load_iati(FIXTURES / "sdg-forms.xml", "t")
    assert {(s.code, s.element, s.vocabulary) for s in act.sdgs} == {
        ("8", "tag", "2"), ("16.6", "tag", "3"), ("16.99", "tag", "3"),
        ("4", "sector", "7"), ("4.1", "sector", "8"), ("8.4.1", "sector", "9"),
        ("12.2.1", "result/indicator/reference", "9"), ("16.6.2", "result/indicator/reference", "9")}


def test_schema_errors_are_findings_and_the_rest_of_the_file_loads():
    broken, fine = load_iati(FIXTURES / "schema-error.xml", "t")
    assert fine.identifier == "XI-TEST-3-FINE" and fine.schema_findings == []
    (f,) = broken.schema_findings
    assert f.line == 7 and f.path.startswith("/iati-activities/iati-activity[1]/") and "not expected" in f.message


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("<?xml version='1.0'?>\n<iati-activities>\n <iati-activity>\n</iati-activities>\n", 4, "not well-formed"),
        ("<?xml version='1.0'?>\n<iati-organisations>\n</iati-organisations>\n", 2, "not <iati-activities>"),
        ("", None, "not well-formed"),
    ],
    ids=["mismatched-tag", "wrong-root", "empty"],
)
def test_broken_files_fail_with_file_and_line(tmp_path, text, line, message):
    path = tmp_path / "bad.xml"
    path.write_text(text)
    with pytest.raises(SourceError) as err:
        load_iati(path, "t")
    assert str(err.value).startswith(f"{path}:{line}:" if line else str(path)) and message in str(err.value)


LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE iati-activities [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<iati-activities version="2.03"><iati-activity><iati-identifier>&d;&d;&d;&d;</iati-identifier></iati-activity>
</iati-activities>
"""


@pytest.mark.parametrize(
    "doctype",
    [LAUGHS.split("<iati-activities version")[0],
     '<?xml version="1.0"?>\n<!DOCTYPE iati-activities [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n',
     '<?xml version="1.0"?>\n<!DOCTYPE iati-activities SYSTEM "http://VICTIM/x.dtd">\n'],
    ids=["billion-laughs", "external-entity", "external-dtd"],
)
def test_hostile_files_are_refused_without_expanding_or_fetching(tmp_path, victim, doctype):
    path = tmp_path / "hostile.xml"
    body = '<iati-activities version="2.03"><iati-activity><iati-identifier>&d;</iati-identifier></iati-activity>' \
           "</iati-activities>\n"
    path.write_text(doctype.replace("http://VICTIM/", victim.url.rsplit("/", 1)[0] + "/") + body)
    with pytest.raises(SourceError) as err:
        load_iati(path, "t")
    assert "DOCTYPE and ENTITY declarations are refused" in str(err.value) and str(err.value).startswith(f"{path}:2:")
    assert victim.hits == 0


def test_kind_is_recognised_from_content(tmp_path):
    assert is_iati(EXAMPLE)
    renamed = tmp_path / "activities.txt"
    renamed.write_bytes(EXAMPLE.read_bytes())
    assert is_iati(renamed)
    assert not is_iati(next((SOURCES_DIR / "pages").glob("*.txt")))
    assert not is_iati(Path(__file__).resolve().parents[3] / "kg" / "ingest" / "loaders" / "iati.py")  # mentions <iati-activities>


def test_build_fails_on_a_broken_file_and_keeps_the_previous_build(tmp_path):
    out = tmp_path / "build"
    bad = tmp_path / "bad.xml"
    bad.write_text("<?xml version='1.0'?>\n<iati-activities>\n <iati-activity>\n</iati-activities>\n")
    run = subprocess.run([sys.executable, "-m", "kg.cli", "build", "--out", str(out), "--no-bundled",
                          "--source", str(bad)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 2 and f"{bad}:4: not well-formed XML" in run.stderr and "Traceback" not in run.stderr
    assert not out.exists()
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "readme.txt").write_text("Not <iati-activities> at all: a note that mentions the root element.\n")
    run = subprocess.run([sys.executable, "-m", "kg.cli", "build", "--out", str(out), "--source", str(folder)],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 2 and "holds no IATI activity file" in run.stderr
