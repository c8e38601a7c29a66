"""World maps as inline SVG, drawn on the server from Natural Earth outlines.

The outlines are world-atlas's TopoJSON (Natural Earth 1:110m, public domain; the package is
ISC), installed from npm by `make setup`; its country ids are ISO 3166-1 numeric codes, which
are the M49 codes the KG carries. The map is a plain equirectangular projection: no script,
nothing loaded from elsewhere, readable with CSS off.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from html import escape

from kg.server.assets import assets_dir

WORLD = ("world-atlas", "countries-110m.json")
WIDTH, HEIGHT = 960, 420  # longitude -180..180, latitude 84..-60 (Antarctica left out)
NORTH, SOUTH = 84.0, -60.0


@dataclass(frozen=True)
class Outline:
    """A country's name and SVG path."""

    name: str
    path: str


def _xy(lon: float, lat: float) -> tuple[float, float]:
    x = (lon + 180.0) / 360.0 * WIDTH
    y = (NORTH - max(min(lat, NORTH), SOUTH)) / (NORTH - SOUTH) * HEIGHT
    return round(x, 1), round(y, 1)


@cache
def outlines() -> dict[str, Outline]:
    """M49 code -> outline; empty when the npm package is missing (the page then says so)."""
    path = assets_dir().joinpath(*WORLD)
    if not path.is_file():
        return {}
    topo = json.loads(path.read_text(encoding="utf-8"))
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs: list[list[tuple[float, float]]] = []
    for arc in topo["arcs"]:  # delta-encoded, quantised positions
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)

    def ring(indices: list[int]) -> str:
        points: list[tuple[float, float]] = []
        for i in indices:
            arc = arcs[i] if i >= 0 else arcs[~i][::-1]
            points.extend(arc[1:] if points else arc)
        xy = [_xy(lon, lat) for lon, lat in points]
        # a ring crossing the antimeridian (Fiji, Russia's east) is cut rather than drawn across the map
        parts, current = [], [xy[0]]
        for a, b in zip(xy, xy[1:], strict=False):
            if abs(b[0] - a[0]) > WIDTH / 2:
                parts.append(current)
                current = []
            current.append(b)
        parts.append(current)
        return "".join("M" + "L".join(f"{x:g},{y:g}" for x, y in part) + "Z" for part in parts if len(part) > 2)

    found: dict[str, Outline] = {}
    for geometry in topo["objects"]["countries"]["geometries"]:
        if "id" not in geometry or not geometry.get("arcs"):
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        d = "".join(ring(r) for polygon in polygons for r in polygon)
        found[geometry["id"]] = Outline(geometry["properties"].get("name", geometry["id"]), d)
    return found


def world_svg(counts: dict[str, int], links: dict[str, str], names: dict[str, str], title: str) -> str | None:
    """A choropleth: countries shaded by ``counts`` (M49 -> number), linked to their pages.

    None when the outlines are not installed; countries too small for the 1:110m outlines
    (many small island states) are listed under the map by the caller.
    """
    shapes = outlines()
    if not shapes:
        return None
    top = max(counts.values(), default=0) or 1
    out = [
        f'<svg class="world-map" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg"><title>' + escape(title) + "</title>"
        f'<rect width="{WIDTH}" height="{HEIGHT}" class="sea"/>'
    ]
    for code, outline in sorted(shapes.items()):
        n = counts.get(code, 0)
        name = names.get(code, outline.name)
        label = f"{name}: {n}" if n else name
        shade = f' style="fill-opacity:{0.25 + 0.75 * math.sqrt(n / top):.2f}"' if n else ""
        path = f'<path d="{outline.path}" class="{"on" if n else "off"}"{shade}><title>{escape(label)}</title></path>'
        href = links.get(code)
        out.append(f'<a href="{escape(href)}">{path}</a>' if href and n else path)
    out.append("</svg>")
    return "".join(out)


def missing(codes: set[str]) -> set[str]:
    """Which M49 codes have no outline at this scale (to list them beside the map)."""
    shapes = outlines()
    return {c for c in codes if c not in shapes} if shapes else set()
