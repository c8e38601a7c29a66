"""The world outlines decode from world-atlas's TopoJSON into SVG paths."""

import re

from kg.server import maps


def test_outlines_are_decoded_by_m49_code():
    shapes = maps.outlines()
    assert len(shapes) > 170
    assert shapes["064"].name == "Bhutan" and shapes["076"].name == "Brazil"
    for outline in (shapes["064"], shapes["076"]):
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", outline.path)]
        assert outline.path.startswith("M") and outline.path.endswith("Z")
        assert all(0 <= n <= maps.WIDTH for n in numbers)
    # Bhutan is east of Brazil, and north of it
    bx = [float(x) for x in re.findall(r"(-?\d+(?:\.\d+)?),", shapes["064"].path)]
    rx = [float(x) for x in re.findall(r"(-?\d+(?:\.\d+)?),", shapes["076"].path)]
    assert min(bx) > max(rx)


def test_the_map_shades_counts_and_names_small_countries():
    svg = maps.world_svg({"064": 2, "076": 1}, {"064": "/country/BTN"}, {"064": "Bhutan"}, "test")
    assert svg.count('class="on"') == 2 and '<a href="/country/BTN">' in svg
    assert "<title>Bhutan: 2</title>" in svg
    assert maps.missing({"690", "064"}) == {"690"}  # Seychelles: too small at 1:110m
