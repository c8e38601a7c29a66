"""Golden tests for the EGB slides, the UNPOG presentation and the Development Account page."""

from pathlib import Path

import pytest

from kg.errors import SourceError
from kg.ingest.loaders.da_page import load_da_page
from kg.ingest.loaders.egb_presentation import load_egb_presentation
from kg.ingest.loaders.unpog_presentation import load_unpog_presentation
from kg.ingest.reference import PAGES_DIR


def value(app, name):
    f = app.get(name)
    return None if f is None else f.value


def test_egb_table_rows_section_and_mention():
    apps = load_egb_presentation(PAGES_DIR / "002_c974363c16fdea95.txt", "egb")
    rows = [a for a in apps if a.kind == "table-row"]
    # The 2013-2014 table (lines 138-146) lists nine countries.
    assert [value(a, "focus") for a in rows] == [
        "Bahrain", "Brunei", "Colombia", "Costa Rica", "Panama", "Qatar", "Saudi Arabia",
        "The Bahamas", "United Arab Emirates"]
    assert [a.start_line for a in rows] == list(range(138, 147))
    assert {value(a, "time_frame") for a in rows} == {"2013-2014"}
    uae = rows[-1]
    assert value(uae, "key_accomplishments") == "e-Participation policy deployed"
    assert value(uae, "follow_up") == "MOU drafted for future collaboration"
    (colombia,) = [a for a in apps if a.kind == "section"]
    assert colombia.title == "Centre for Innovation on E-Government Development"
    assert value(colombia, "partners") == "UNDESA, MINTIC Colombia and UNDP"
    assert value(colombia, "budget") == "US$ 800,000 / year (MINTIC)"
    assert value(colombia, "funding") == "MINTIC"
    (mention,) = [a for a in apps if a.kind == "mention"]
    assert mention.start_line == 166


def test_unpog_presentation_facts():
    unpog, joint, *parts = load_unpog_presentation(PAGES_DIR / "003_16d353827302728b.txt", "unpog")
    assert unpog.title == "UN PROJECT OFFICE ON GOVERNANCE (UNPOG)"
    assert unpog.record == "project"
    # the sentence as the deck writes it, read as an open time frame and an annual budget
    assert value(unpog, "time_frame") == "Established in 2006"
    assert value(unpog, "budget") == "Annual budget of 1.5 million USD"
    assert unpog.get("time_frame").how == "body-text"
    assert value(unpog, "funding") == "Republic of Korea"
    assert value(unpog, "focus") == "Asia-Pacific Region"
    assert value(unpog, "lead_division") == "Division for Public Administration and Development Management"
    assert value(joint, "partners") == "UNPOG-UNESCAP"
    assert joint.get("partners").how == "heading"
    assert "Beijing+20" in value(joint, "brief_description")
    assert joint.record == "component"
    kinds = {a.title: a.record for a in parts}
    assert kinds == {
        "United Nations Public Administration Country Studies (UNPACS)": "component",
        "UN Compendium of E-Government Practices": "publication",
        "E-Procurement Serial Publication": "publication",
        "UNPSA 2014": "event",
        "eGB/UNPOG Capacity Development Workshop": "event",
        "Global e-Government Forum (GeGF) 2014": "event",
        "E-Government for Promoting Sustainable Development in Small Island Developing States": "publication",
        "Recipients of Country Specific Services": "component",
    }
    gegf = next(a for a in parts if a.title.startswith("Global"))
    assert (value(gegf, "venue"), value(gegf, "time_frame")) == ("Astana, Kazakhstan", "October 2014")
    assert gegf.get("venue").label == "Venue"
    workshop = next(a for a in parts if a.title.startswith("eGB"))
    assert [r.rule for r in workshop.repairs] == ["markup"]  # '<u>eGB/UNPOG</u> <u>…</u>' as written


def test_unpog_presentation_missing_fact_is_named(tmp_path: Path):
    text = (PAGES_DIR / "003_16d353827302728b.txt").read_text().replace("Established in 2006", "")
    page = tmp_path / "unpog.txt"
    page.write_text(text)
    with pytest.raises(SourceError, match="time_frame"):
        load_unpog_presentation(page, "unpog")


def test_development_account_page():
    (app,) = load_da_page(PAGES_DIR / "004_61e7e43c1f4de8cb.txt", "da")
    assert app.title.startswith("Promoting knowledge-management, innovation")
    assert value(app, "funding") == "Development Account"
    assert value(app, "implementing") == "DPADM"
    assert value(app, "background").startswith("Strengthening of state institutions")
    assert value(app, "expected_accomplishments").count("\n") == 2  # three bullets
    assert (app.start_line, app.end_line) == (6, 30)
