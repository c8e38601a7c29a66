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


def test_wget_spider_crawls_the_site_without_a_broken_link(built, tmp_path):
    """`wget --spider -r` reported every page as broken while HEAD answered 405 (issue 12 item 3):
    the real crawler, HEAD and GET, two levels deep from the home page, obeying robots.txt."""
    import subprocess

    from tests.conftest import kg_server

    with kg_server(built.out, "--workers", "3") as site:
        done = subprocess.run(
            ["wget", "--spider", "-r", "-l", "2", "-nv", "--no-verbose", "-o", str(tmp_path / "wget.log"),
             "--reject-regex", r"/dumps/|/vendor/", site + "/"],
            cwd=tmp_path, timeout=600, check=False,
        )  # fmt: skip
    log = (tmp_path / "wget.log").read_text()
    checked = [line for line in log.splitlines() if " 200 OK" in line or "URL:" in line]
    assert done.returncode == 0, log[-2000:]
    assert "Found no broken links." in log
    assert len(checked) > 300 and f"{site}/project/1617b" in log and f"{site}/country/BTN" in log
