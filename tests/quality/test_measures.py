"""kg.quality.measures: DQV measurements of the dataset and of each source, checked against the KG itself."""

from tests.conftest import select

DQV = "PREFIX dqv: <http://www.w3.org/ns/dqv#> PREFIX sh: <http://www.w3.org/ns/shacl#> "


def value(store, scope: str, metric: str, extra: str = "") -> str:
    rows = select(store, DQV + f"""SELECT ?v WHERE {{ GRAPH <https://w3id.org/sdgkg/graph/quality> {{
        ?m dqv:computedOn <{scope}> ; dqv:isMeasurementOf sdgkg:{metric} ; dqv:value ?v . {extra}
        FILTER NOT EXISTS {{ ?m sdgkg:ofShape ?s }} }} }}""")
    assert len(rows) == 1, rows
    return rows[0]["v"]


DATASET = "https://w3id.org/sdgkg/dataset"


def test_dataset_findings_and_repairs_are_the_reports(built, store):
    for severity in ("Violation", "Warning", "Info"):
        n = value(store, DATASET, "findingCount", f"?m sdgkg:ofSeverity sh:{severity} .")
        assert int(n) == built.validation.count(severity)
    repairs = select(store, "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a sdgkg:Repair }")[0]["n"]
    assert value(store, DATASET, "repairCount", "FILTER NOT EXISTS { ?m sdgkg:ofRepairRule ?x }") == repairs == "30"


def test_shares_agree_with_a_sparql_count_per_source(store):
    rows = select(store, """SELECT ?doc (COUNT(DISTINCT ?p) AS ?n) (COUNT(DISTINCT ?b) AS ?withBudget) WHERE {
        GRAPH ?g { ?p a sdgkg:Project OPTIONAL { ?p sdgkg:budget ?x BIND(?p AS ?b) } }
        FILTER(STRSTARTS(STR(?g), "https://w3id.org/sdgkg/graph/source/"))
        BIND(STRBEFORE(STRAFTER(STR(?g), "graph/source/"), "/") AS ?doc) } GROUP BY ?doc""")
    assert len(rows) == 5
    for r in rows:
        scope = "https://w3id.org/sdgkg/source/" + r["doc"]
        assert value(store, scope, "projectCount") == r["n"]
        share = float(value(store, scope, "projectsWithBudget"))
        assert abs(share - int(r["withBudget"]) / int(r["n"])) < 1e-3, r


def test_findings_per_check_and_every_metric_is_described(built, store):
    rows = select(store, DQV + """SELECT ?label ?v WHERE { GRAPH <https://w3id.org/sdgkg/graph/quality> {
        ?m dqv:computedOn <https://w3id.org/sdgkg/dataset> ; sdgkg:ofShape ?s ; dqv:value ?v . ?s rdfs:label ?label } }""")
    by_check = {r["label"]: int(r["v"]) for r in rows}
    assert by_check["Date in the text outside the time frame"] == 6
    assert sum(by_check.values()) == len(built.validation.findings)
    undescribed = select(store, DQV + """SELECT DISTINCT ?metric WHERE { ?m dqv:isMeasurementOf ?metric
        FILTER NOT EXISTS { GRAPH <https://w3id.org/sdgkg/graph/ontology> { ?metric a dqv:Metric ; dqv:inDimension ?d } } }""")
    assert undescribed == []
