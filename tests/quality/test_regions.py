"""kg.quality.regions: regions named in a title or objective against the focus countries."""

from kg.ingest.reference import bundled_reference
from kg.quality.regions import RegionText, find_region_mismatches, members_of


def check(body: str, *countries: str):
    t = RegionText("r", "f", "f", "Objective", body, 9, frozenset(countries))
    return find_region_mismatches([t], bundled_reference())


def test_a_region_without_focus_countries_and_countries_outside_every_region():
    [m] = check("developing countries in Africa and Asia", "BTN", "LAO", "FJI", "VUT")
    assert m.named == ("Africa", "Asia") and m.empty == ("Africa",) and m.outside == ("FJI", "VUT")


def test_asia_and_the_pacific_is_the_escap_region_not_asia_plus_pacific():
    assert check("SDG reviews in Asia and the Pacific", "BTN", "LAO", "FJI", "VUT") == []
    [m] = check("in Asia and the Pacific", "BTN", "SAU")
    assert m.named == ("Asia and the Pacific",) and m.outside == ("SAU",)


def test_country_names_with_a_region_in_them_are_not_the_region():
    assert check("Support to South Africa and the Central African Republic", "ZAF", "CAF", "BTN") == []


def test_no_focus_country_or_no_region_named_is_no_finding():
    assert check("in Africa") == [] and check("in selected countries", "BTN") == []


def test_areas_are_m49_regions_at_any_level_or_listed_groups():
    ref = bundled_reference()
    assert "BTN" in members_of("region/034", ref) and "BTN" in members_of("region/142", ref)
    assert "COK" in members_of("group/asia-pacific", ref) and "FRA" not in members_of("group/asia-pacific", ref)
