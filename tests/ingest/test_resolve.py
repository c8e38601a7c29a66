import pytest

from kg.ingest.reference import bundled_reference
from kg.ingest.resolve import Resolver


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver(bundled_reference())


def idents(matches):
    return [(m.as_written, m.ident, m.method) for m in matches]


def test_misspelt_and_short_country_names(resolver):
    matches, unresolved = resolver.places_in("Buthan, Laos, Fiji, Vanuatu")
    assert idents(matches) == [
        ("Buthan", "BTN", "corrected"), ("Laos", "LAO", "alias"),
        ("Fiji", "FJI", "exact"), ("Vanuatu", "VUT", "exact")]
    assert unresolved == []


def test_names_with_and_are_not_split(resolver):
    matches, _ = resolver.places_in("Trinidad and Tobago, Bangladesh, Nepal, Panama and Uruguay")
    assert [m.ident for m in matches] == ["TTO", "BGD", "NPL", "PAN", "URY"]


def test_groups_and_regions(resolver):
    matches, _ = resolver.places_in("Global, China")
    assert [(m.kind, m.ident) for m in matches] == [("group", "global"), ("country", "CHN")]
    assert [(m.kind, m.ident) for m in resolver.places_in("Africa")[0]] == [("region", "002")]
    assert resolver.places_in("Least Developed Countries")[0][0].method == "exact"


def test_unknown_names_are_reported_with_a_suggestion_not_guessed(resolver):
    matches, unresolved = resolver.places_in("Bhutann, Nepal")
    assert [m.ident for m in matches] == ["NPL"]
    assert unresolved[0].as_written == "Bhutann"
    assert unresolved[0].suggestion == "bhutan"


@pytest.mark.parametrize("text", ["ESCAP", "UNESCAP",
                                  "UN Economic and Social Commission for Asia and the Pacific (UNESCAP)",
                                  "United Nations Economic and Social Commission for Asia and the Pacific"])
def test_acronym_variants_resolve_to_one_organisation(resolver, text):
    matches, unresolved = resolver.organisations_in(text)
    assert [m.ident for m in matches] == ["unescap"] and unresolved == []


def test_long_names_with_commas(resolver):
    text = ("United Nations Office of the High Representative for the Least Developed Countries, "
            "Landlocked Developing Countries and Small Island Developing States (UN OHRLLS), "
            "UN Development Programme (UNDP) country offices")
    matches, unresolved = resolver.organisations_in(text)
    assert [m.ident for m in matches] == ["un-ohrlls", "undp"]
    assert unresolved == []


def test_parent_named_with_its_units_is_context_not_a_role(resolver):
    matches, _ = resolver.organisations_in("UN DESA (DPIDG, EAPD, DSDG, UNFFS)")
    assert [m.ident for m in matches] == ["dpidg", "eapd", "dsdg", "unffs"]
