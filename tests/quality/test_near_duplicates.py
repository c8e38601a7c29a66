"""kg.quality.near_duplicates: MinHash candidates, exact Jaccard, one finding per pair of records."""

from kg.quality.near_duplicates import find_near_duplicates, shingles

BASE = ("The project strengthens the capacity of national and local governments to design and implement "
        "open government data policies that improve access to information for sustainable development")


def test_near_copies_are_found_whatever_else_differs():
    edited = BASE.replace("national and local", "national") + " in Latin America"
    other = ("Organise the annual meeting of the internet governance forum with many stakeholders from "
             "governments, business, civil society and the technical community worldwide")
    found = find_near_duplicates([("a", "a/f1", BASE), ("b", "b/f1", edited), ("c", "c/f1", other),
                                  ("b", "b/f2", BASE)])
    assert [(d.left, d.right) for d in found] == [(("a", "a/f1"), ("b", "b/f2"))]  # the best pair of fields
    assert found[0].similarity == 1.0


def test_same_record_and_short_texts_are_left_alone():
    assert find_near_duplicates([("a", "a/f1", BASE), ("a", "a/f2", BASE)]) == []
    assert find_near_duplicates([("a", "a/f1", "Bhutan, Nepal"), ("b", "b/f1", "Bhutan, Nepal")]) == []


def test_shingles_ignore_case_and_punctuation():
    assert shingles("Open Government, Data policies now!") == shingles("open government data policies now")
