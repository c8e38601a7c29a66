"""The site in a real browser: Debian's Chromium, headless, driven by Selenium through Debian's
chromedriver. Screenshots are kept in tests/artifacts/ (not committed)."""

import shutil
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import kg_server

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser():
    profile = tempfile.mkdtemp(prefix="chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1280,1000", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    ARTIFACTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def site(built):
    with kg_server(built.out) as url:
        yield url


def test_home_page(browser, site):
    browser.get(site + "/")
    assert browser.title == "Home · sdgkg"
    text = browser.find_element(By.TAG_NAME, "main").text
    assert "26 projects from 58 appearances in 5 source documents" in text
    assert "0 violations" in text
    browser.save_screenshot(str(ARTIFACTS / "home.png"))


def test_project_page(browser, site):
    browser.get(site + "/project/roa-206-8")
    h1 = browser.find_element(By.TAG_NAME, "h1").text
    assert h1.startswith("ROA 206-8 – Strengthening Capacities of the Public Sector")
    findings = browser.find_element(By.CSS_SELECTOR, "section.findings").text
    assert "focus country Panama was not an LDC" in findings
    conflicts = browser.find_element(By.CSS_SELECTOR, "section.conflicts").text
    assert "lead division" in conflicts
    links = {a.text for a in browser.find_elements(By.CSS_SELECTOR, "table.statements a")}
    assert "Uruguay" in links and "United Nations Development Account" in links
    browser.save_screenshot(str(ARTIFACTS / "project.png"))


def _editor(browser, site, path="/query"):
    browser.get(site + path)
    WebDriverWait(browser, 30).until(lambda d: d.execute_script("return !!window.sdgkgEditor"))


def _value(browser) -> str:
    return browser.execute_script("return window.sdgkgEditor.yasqe.getValue()")


def test_run_an_example_query_and_follow_a_result(browser, site):
    _editor(browser, site)
    wait = WebDriverWait(browser, 30)
    example = wait.until(EC.element_to_be_clickable((By.XPATH, "//ul[@id='examples']/li[.='Projects by donor']")))
    example.click()
    assert "VALUES ?organisation" in _value(browser)
    browser.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()
    # the result IRI links to the local page and shows its label
    label = wait.until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, ".yasr a[data-iri$='/project/belt-and-road-2030-agenda'] .iri-label")))
    assert label.get_attribute("textContent").startswith("Strengthened capacities of developing countries")
    link = browser.find_element(By.CSS_SELECTOR, ".yasr a[data-iri]")
    assert link.get_attribute("data-iri") == "https://w3id.org/sdgkg/project/belt-and-road-2030-agenda"
    assert link.get_attribute("href") == site + "/project/belt-and-road-2030-agenda"
    assert "answered in" in browser.find_element(By.ID, "status").text
    browser.save_screenshot(str(ARTIFACTS / "query.png"))
    link.click()
    wait.until(EC.url_contains("/project/belt-and-road-2030-agenda"))
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Strengthened capacities of developing countries")


def test_query_errors_are_shown(browser, site):
    _editor(browser, site)
    browser.execute_script("window.sdgkgEditor.yasqe.setValue('SELECT ?x WHERE { ?x ')")
    browser.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()
    status = WebDriverWait(browser, 30).until(
        lambda d: d.find_element(By.ID, "status").text if "error" in d.find_element(By.ID, "status").text else False)
    assert "error 400" in status and "malformed query" in status


def test_query_editor_shares_completes_and_charts(browser, site):
    """Issue 12: a real editor (YASGUI from npm), shareable /query?query=, completion from the KG,
    highlighted SPARQL, charts of numeric results, and nothing fetched from another host."""
    query = ("PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#>\nSELECT ?country (COUNT(?p) AS ?projects) "
             "WHERE { ?p sdgkg:focusCountry ?country } GROUP BY ?country ORDER BY DESC(?projects) LIMIT 5")
    _editor(browser, site, "/query?" + urlencode({"query": query}))
    assert _value(browser) == query
    assert browser.find_elements(By.CSS_SELECTOR, ".CodeMirror .cm-keyword")  # highlighted
    classes = browser.execute_script("return window.sdgkgEditor.yasqe.autocompleters.kgClasses.getCompletions()")
    assert "https://w3id.org/sdgkg/ontology#Project" in classes
    properties = browser.execute_script(
        "return window.sdgkgEditor.yasqe.autocompleters.kgProperties.getCompletions()")
    assert "https://w3id.org/sdgkg/ontology#focusCountry" in properties
    prefixes = browser.execute_script("return window.sdgkgEditor.yasqe.autocompleters.kgPrefixes.getCompletions()")
    assert "sdgkg: <https://w3id.org/sdgkg/ontology#>" in prefixes
    browser.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()
    wait = WebDriverWait(browser, 30)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".yasr .iri-label")))
    browser.find_element(By.CSS_SELECTOR, ".yasr_btn.select_chart").click()
    bars = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "svg.result-chart rect"))
    assert len(bars) == 5
    names = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "svg.result-chart text[text-anchor=end]")]
    assert all(n and not n.startswith("http") for n in names)  # labels, not IRIs
    browser.save_screenshot(str(ARTIFACTS / "query-chart.png"))
    browser.execute_script("window.sdgkgEditor.yasqe.setValue('ASK { ?s ?p ?o }')")
    assert parse_qs(urlsplit(browser.current_url).query)["query"] == ["ASK { ?s ?p ?o }"]
    assert _foreign_requests(browser, site) == []


def test_index_filters_in_the_browser(browser, site):
    browser.get(site + "/projects")
    select = browser.find_element(By.NAME, "country")
    option = next(o for o in select.find_elements(By.TAG_NAME, "option") if o.text.startswith("Bangladesh"))
    option.click()
    browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
    WebDriverWait(browser, 30).until(EC.url_contains("country="))
    assert "2 projects." in browser.find_element(By.TAG_NAME, "main").text


def test_search_from_any_page_then_narrow_by_a_facet(browser, site):
    browser.get(site + "/countries")
    box = browser.find_element(By.CSS_SELECTOR, "form.nav-search input[name=q]")
    box.send_keys("Buthan\n")
    WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.CSS_SELECTOR, "ol.hits li")))
    hits = browser.find_elements(By.CSS_SELECTOR, "ol.hits li")
    assert len(hits) == 4 and "Bhutan" in hits[0].text
    assert "bhutan" in browser.find_element(By.TAG_NAME, "main").text  # the expansion is shown
    browser.find_element(By.XPATH, "//aside[@class='facets']//a[text()='project']").click()
    WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.CSS_SELECTOR, "p.chosen")))
    assert len(browser.find_elements(By.CSS_SELECTOR, "ol.hits li")) == 2
    browser.save_screenshot(str(ARTIFACTS / "search.png"))


def _foreign_requests(browser, site) -> list[str]:
    """Requests the page sent to another host; those its Content-Security-Policy refused never left."""
    names = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    refused = " ".join(e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"])
    return [n for n in names if not n.startswith((site, "data:", "blob:")) and n not in refused]


@pytest.mark.parametrize(("path", "shown"), [("/docs", ".opblock-summary-path"), ("/redoc", "[data-section-id]")])
def test_api_docs_render_from_local_assets(browser, site, path, shown):
    """/docs and /redoc were blank offline: Swagger UI and ReDoc came from a CDN; now from npm via make setup."""
    browser.get(site + path)
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, shown)))
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "/sparql" in text or "SPARQL 1.1 query" in text
    assert "projects-by-country" in text.lower() or "Projects by country" in text
    assert _foreign_requests(browser, site) == []
    browser.save_screenshot(str(ARTIFACTS / f"{path.strip('/')}.png"))


PAGE_KINDS = {
    "home": "/",
    "project": "/project/1617b",
    "projects": "/projects",
    "organisation": "/organisation/dpadm",
    "country": "/country/BTN",
    "countries": "/countries",
    "sdgs": "/sdgs",
    "sdg-target": "/resource?iri=http://metadata.un.org/sdg/16.6",
    "source": "/sources",
    "quality": "/quality",
    "search": "/search?q=Bhutan",
    "query": "/query",
    "ontology": "/ontology",
}


@pytest.mark.parametrize("kind", sorted(PAGE_KINDS))
def test_every_page_kind_reads_at_phone_width(browser, site, kind):
    """Pages scrolled sideways at phone width (issue 12 item 9): at 390 px nothing may overflow."""
    browser.set_window_size(390, 844)
    try:
        browser.get(site + PAGE_KINDS[kind])
        WebDriverWait(browser, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
        width = browser.execute_script("return document.documentElement.clientWidth")
        scroll = browser.execute_script("return document.documentElement.scrollWidth")
        assert scroll <= width, f"{PAGE_KINDS[kind]} is {scroll} px wide in a {width} px window"
        assert browser.find_element(By.TAG_NAME, "h1").text
        browser.save_screenshot(str(ARTIFACTS / f"phone-{kind}.png"))
    finally:
        browser.set_window_size(1280, 1000)
