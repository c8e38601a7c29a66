"""Golden tests: the records of the two project pages, checked against the page text."""

from pathlib import Path

import pytest

from kg.errors import SourceError
from kg.ingest.loaders.project_page import load_project_page
from kg.ingest.reference import PAGES_DIR

DPIDG = PAGES_DIR / "000_c4aa7e2cc117d534.txt"
STRIPPED = PAGES_DIR / "001_aafc5103e4ac824f.txt"


def value(app, name):
    f = app.get(name)
    return None if f is None else f.value


@pytest.fixture(scope="module")
def dpidg():
    return load_project_page(DPIDG, "dpidg-projects")


@pytest.fixture(scope="module")
def stripped():
    return load_project_page(STRIPPED, "dpadm-projects-stripped")


def test_dpidg_page_has_ten_teasers_and_twelve_past_projects(dpidg):
    # Lines 11-20 are the "Current Projects" teasers; every one ends in an ellipsis.
    teasers = [a for a in dpidg if a.kind == "teaser"]
    assert [a.start_line for a in teasers] == list(range(11, 21))
    assert all(a.status == "current" for a in teasers)
    past = [a for a in dpidg if a.kind == "block"]
    assert all(a.status == "past" for a in past)
    # Codes as written, in page order; None is the Belt-and-Road project (line 32) whose
    # heading is a bare title.
    assert [a.code for a in past] == [
        "1617B", None, "1819G", "1819C", "DA1617B", "ROA 206-8", "ROA 245-8A", "ROA-264-9",
        "GLO15X01", "GLO14X01", "GLO11X01", "INT06X14"]


# (code, time frame, budget, focus, lead division, funding) exactly as the page writes them.
DPIDG_FIELDS = [
    ("1617B", "1 July 2016 – 31 December 2019", None, "Bangladesh, Ethiopia", None, None),
    (None, "December 2021-November 2022", "$3,056,613", "Global, China", "UN DESA/DPIDG",
     "XB/Peace and Development Fund"),
    ("1819G", "April 2018 - 31 December 2021", None, "Buthan, Laos, Fiji, Vanuatu", None, None),
    ("1819C", "April 2018 - 31 December 2021", None, "Cameroon, Ethiopia, Senegal", None, None),
    ("DA1617B", "January 2017 – December 2019", "", "Bangladesh, Ethiopia", "DPIDG",
     "Development Account (DA)"),
    ("ROA 206-8", "June 2014 – December 2016", "US$ 592,000", "Bangladesh, Nepal, Panama and Uruguay",
     "DPIDG", "Development Account (DA)"),
    ("ROA 245-8A", "July 2013 - December 2015", "US$362,900", "Least Developed Countries", "DPIDG",
     "Development Account (DA)"),
    ("ROA-264-9", "June 2014 - December 2016", "US$592,000", "Developing Countries", "DPIDG",
     "Development Account (DA)"),
    ("GLO15X01", "January 2014 - July 2016", "US$3,518,594.00", "Developing Countries", "DPIDG", "Brazil"),
    ("GLO14X01", "April 2011 - December 2015", "US$1,580,644", "Developing Countries", "DPIDG", "Turkey"),
    ("GLO11X01", "April 2011 - December 2015", "US$1,892,660.00", "All Member States", "DPIDG",
     "Development Account (DA)"),
    ("INT06X14", None, None, None, None, None),
]


def test_dpidg_fields_as_written(dpidg):
    past = [a for a in dpidg if a.kind == "block"]
    got = [(a.code, value(a, "time_frame"), value(a, "budget"), value(a, "focus"),
            value(a, "lead_division"), value(a, "funding")) for a in past]
    assert got == DPIDG_FIELDS


def test_belt_and_road_project_has_every_field(dpidg):
    app = next(a for a in dpidg if a.start_line == 32)
    assert app.title.startswith("Strengthened capacities of developing countries participating")
    assert value(app, "partners") == "China National Academy of Governance, Shanghai Academy of Social Sciences"
    assert value(app, "donor") == "Government of China"
    assert value(app, "region") == "Global"
    assert "SDG 7, 9, 10, 11, 16, 17" in value(app, "thematic_area")
    assert value(app, "objective").startswith("The objective of this project is to strengthen")
    assert value(app, "key_accomplishments").startswith("Enhanced capacities of senior policymakers")


def test_the_same_project_twice_with_different_titles(dpidg):
    first = next(a for a in dpidg if a.code == "1617B")
    second = next(a for a in dpidg if a.code == "DA1617B")
    assert first.title.startswith("Building institutional capacity")
    assert second.title.startswith("Evidence-based e-government policies")
    assert (first.start_line, first.end_line) == (24, 30)
    assert (second.start_line, second.end_line) == (68, 88)


def test_comments_and_implementer(dpidg):
    da = next(a for a in dpidg if a.code == "DA1617B")
    assert value(da, "comment").startswith("The project has been extended until December 2019")
    assert value(da, "implementing") == "Digital Government Branch (DGB)"
    roa = next(a for a in dpidg if a.code == "ROA 206-8")
    assert "Uruguay and Panama are not LDCs" in value(roa, "comment")


def test_teaser_with_lead_and_partners(dpidg):
    t = next(a for a in dpidg if a.start_line == 12)
    assert value(t, "lead_division") == "UN DESA (DPIDG, EAPD, DSDG, UNFFS)"
    assert value(t, "partners") == "UNECA, RCOs in the respective Countries, UNCTs, and UNITAR"


# The stripped page: 14 blocks, each ending with "Focus Countries:", all under "Current Projects".
STRIPPED_FIELDS = [
    (2, "January 2017 – December 2019", "", "Bangladesh", "Development Account (DA)"),
    (20, "June 2014 – December 2016", "US$ 592,000", "Bangladesh, Nepal, Panama and Uruguay",
     "Development Account (DA)"),
    (32, "July 2013 - December 2015", "US$362,900", "Least Developed Countries", "Development Account (DA)"),
    (43, "June 2014 - December 2016", "US$592,000", "Developing Countries", "Development Account (DA)"),
    (62, "January 2014 - July 2016", "US$3,518,594.00", "Developing Countries", "Brazil"),
    (85, "April 2011 - December 2015", "US$1,580,644", "Developing Countries", "Turkey"),
    (111, "April 2011 - December 2015", "US$1,892,660.00", "All Member States", "Development Account (DA)"),
    (133, "March 2006 - June 2016", "US$10,000,000", "Asia and the Pacific",
     "Ministry of Public Administration and Security (MOPAS), Republic of Korea"),
    (146, "September 2013 - November 2015", "US$164,189", "Developing Countries", "Development Account (DA)"),
    (164, "August 2014 - December 2014", "US$442,451", "Kazakhstan", "Development Account (DA)"),
    (190, "September 2013 – September 2014", "US$ 175,000", "United Arab Emirates", "United Arab Emirates"),
    (221, "August 2014 – July 2015", "US$ 605,153.00", "All Member States", "Colombia"),
    (257, "May 2005 - June 2013", "US$6,144,831", "Africa", "XBTC"),
    (276, "January 2009 - December 2010", "US$351,818", "Togo", "XBTC"),
]


def test_stripped_page_blocks(stripped):
    got = [(a.start_line, value(a, "time_frame"), value(a, "budget"), value(a, "focus"),
            value(a, "funding")) for a in stripped]
    assert got == STRIPPED_FIELDS
    assert all(a.code is None and a.title is None and a.status == "current" for a in stripped)
    assert {value(a, "lead_division") for a in stripped} == {"DPADM"}


def test_stripped_page_keeps_corrupted_text_as_written(stripped):
    ogd = next(a for a in stripped if a.start_line == 146)
    objective = ogd.get("objective")
    assert "br />" not in objective.value and "br />" in objective.as_written  # repaired, and recorded
    assert [(r.rule, r.line) for r in objective.repairs] == [("markup", 149)]
    assert "br />" in objective.repairs[0].as_written and "br />" not in objective.repairs[0].repaired
    igf = next(a for a in stripped if a.start_line == 111)
    assert "Defaultrmation Society" in value(igf, "objective")


def test_stray_text_is_an_error_with_file_and_line(tmp_path: Path):
    page = tmp_path / "page.txt"
    page.write_text("Past Projects\n\n1617B - A title\nTime Frame: 2016-2017\nstray words here\n")
    with pytest.raises(SourceError) as err:
        load_project_page(page, "test")
    assert err.value.line == 5 and "page.txt:5" in str(err.value)


def test_page_without_sections_is_an_error(tmp_path: Path):
    page = tmp_path / "empty.txt"
    page.write_text("Nothing here\n")
    with pytest.raises(SourceError, match="no project found"):
        load_project_page(page, "test")


def test_non_utf8_is_an_error(tmp_path: Path):
    page = tmp_path / "latin1.txt"
    page.write_bytes("Past Projects\nCôte\n".encode("latin-1"))
    with pytest.raises(SourceError, match="UTF-8") as err:
        load_project_page(page, "test")
    assert err.value.line == 2


@pytest.mark.parametrize("char", ["\u2028", "\u0085", "\x0c", "\x1e"])
def test_line_numbers_do_not_shift_on_unicode_line_separators(tmp_path, char):
    """str.splitlines breaks at U+2028, NEL, form feed and RS: provenance lines shifted after them."""
    lines = STRIPPED.read_text(encoding="utf-8").split("\n")
    lines[2] = lines[2] + char + "inside one line"
    page = tmp_path / STRIPPED.name
    page.write_text("\n".join(lines), encoding="utf-8")
    plain = load_project_page(STRIPPED, "dpadm-projects-stripped")
    odd = load_project_page(page, "dpadm-projects-stripped")
    assert [(a.start_line, a.end_line) for a in odd] == [(a.start_line, a.end_line) for a in plain]
    assert [[f.line for f in a.fields] for a in odd] == [[f.line for f in a.fields] for a in plain]
