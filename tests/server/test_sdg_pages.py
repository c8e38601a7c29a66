"""SDG views on a real server: /sdgs (stated vs suggested, chart), a target's page, a project's page."""

from __future__ import annotations

import re

import httpx

HTML = {"Accept": "text/html"}


def test_sdgs_page_counts_stated_and_suggested_apart_with_a_chart(server):
    page = httpx.get(server + "/sdgs", headers=HTML)
    assert page.status_code == 200 and "<svg class=\"chart\"" in page.text
    row = re.search(r'<tr id="goal-16">.*?</details></td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(\d+)</td>', page.text, re.S)
    stated, suggested, either = (re.sub(r"<[^>]+>", "", x) for x in row.groups())
    assert int(stated) == 2 and int(suggested) >= 20 and int(either) >= int(suggested)
    strict = httpx.get(server + "/sdgs", params={"min": "0.95"}, headers=HTML).text
    row = re.search(r'<tr id="goal-16">.*?</details></td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>', strict, re.S)
    assert int(re.sub(r"<[^>]+>", "", row.group(2))) < int(suggested)
    assert "16.6" in page.text and "169" not in page.text.split("<table")[0]  # targets are in the goal rows


def test_a_target_page_lists_suggested_projects_with_confidence_and_evidence(server):
    page = httpx.get(server + "/resource", params={"iri": "http://metadata.un.org/sdg/16.6"}, headers=HTML).text
    section = page.split('id="projects"', 1)[1]
    assert "Stated by a source (0)" in section
    assert "/project/roa-206-8" in section and "<mark>" in section
    confidences = [float(x) for x in re.findall(r"<td>(\d\.\d\d)</td>", section)]
    assert confidences and min(confidences) >= 0.5 and confidences == sorted(confidences, reverse=True)


def test_a_project_page_shows_stated_and_suggested_sdgs_with_highlighted_evidence(server):
    stated = httpx.get(server + "/project/belt-and-road-2030-agenda", headers=HTML).text
    assert "Stated by a source" in stated and "No source states an SDG" not in stated
    page = httpx.get(server + "/project/roa-245-8a", headers=HTML).text
    section = page.split('<section class="sdgs">', 1)[1].split("</section>", 1)[0]
    assert "No source states an SDG for this project." in section
    assert ">16.7</a>" in section and "<mark>" in section and "lexicon line" in section
