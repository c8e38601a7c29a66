"""What crawlers and browsers ask for first: robots.txt, the sitemap (every URL in it answers) and a favicon."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_off_the_query_routes(server):
    r = httpx.get(server + "/robots.txt")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    lines = r.text.splitlines()
    assert f"Sitemap: {server}/sitemap.xml" in lines and "Disallow: /sparql" in lines
    assert httpx.head(server + "/robots.txt").status_code == 200


def test_every_url_of_the_sitemap_answers(server):
    r = httpx.get(server + "/sitemap.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    locs = [e.text for e in ET.fromstring(r.content).iter(SM + "loc")]
    assert server + "/project/1617b" in locs and server + "/country/BTN" in locs and server + "/sdgs" in locs
    assert len(locs) == len(set(locs)) > 300
    with httpx.Client(timeout=30) as client:
        bad = [(u, s) for u in locs if (s := client.get(u, headers={"Accept": "text/html"}).status_code) != 200]
    assert bad == []


def test_favicon(server):
    r = httpx.get(server + "/favicon.ico", follow_redirects=True)
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert 'rel="icon"' in httpx.get(server + "/", headers={"Accept": "text/html"}).text
