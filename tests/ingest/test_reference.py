"""Reference tables: the regional commissions' membership lists and the errors bad rows get."""

import shutil

import pytest

from kg.errors import SourceError
from kg.ingest.reference import REFERENCE_DIR, bundled_reference, load_reference


def members(group: str, membership: str | None = None, regional: str | None = None) -> set[str]:
    return {
        m["iso3"]
        for m in bundled_reference().group_members
        if m["group"] == group
        and (membership is None or m["membership"] == membership)
        and (regional is None or m["regional"] == regional)
    }


@pytest.mark.parametrize(
    ("group", "full", "associate"),
    [("escap", 53, 9), ("eca", 54, 0), ("ece", 56, 0), ("eclac", 46, 14), ("escwa", 20, 0)],
)
def test_regional_commissions_have_their_published_member_counts(group, full, associate):
    assert len(members(group, "member")) == full
    assert len(members(group, "associate member")) == associate


def test_asia_pacific_is_escaps_region_not_m49_asia():
    """Sources say 'Asia and the Pacific' for the ESCAP region: no Saudi Arabia, but Fiji and Cook Islands."""
    ap = members("asia-pacific")
    assert ap == members("escap", regional="true")
    assert len(ap) == 58
    assert {"FRA", "NLD", "GBR", "USA"} & ap == set()
    assert {"BTN", "FJI", "COK", "KAZ", "TUR", "IRN"} <= ap
    m49_asia = {iso3 for iso3, c in bundled_reference().countries.items() if c["region_name"] == "Asia"}
    assert {"SAU", "ISR", "JOR"} <= m49_asia - ap


def test_every_group_with_members_names_its_source_and_organisation():
    ref = bundled_reference()
    for gid in {m["group"] for m in ref.group_members}:
        assert ref.groups[gid]["source"].startswith("https://"), gid
        assert ref.groups[gid]["organisation"] in ref.organisations, gid


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ("escap,XYZ,member,true", "unknown iso3 'XYZ'"),
        ("nowhere,FRA,member,true", "unknown group 'nowhere'"),
        ("escap,FRA,observer,false", "membership is 'member' or 'associate member'"),
    ],
)
def test_a_bad_membership_row_is_named_by_file_and_line(tmp_path, row, says):
    ref = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, ref)
    lines = (ref / "group_members.csv").read_text(encoding="utf-8").splitlines()
    lines.insert(3, row)
    (ref / "group_members.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SourceError) as err:
        load_reference(ref)
    assert "group_members.csv:4" in str(err.value) and says in str(err.value)
