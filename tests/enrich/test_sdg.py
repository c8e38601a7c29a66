"""SDG target suggestions: rules, confidence, evidence, the CLI and graph/suggested in the build."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.enrich.sdg import RuleError, Tagger, aurora_rules, default_tagger, lexicon_rules, read_documents
from kg.errors import SourceError
from tests.conftest import select

EGOV = ("The project strengthens effective, accountable and transparent public institutions through "
        "e-government and fights corruption and bribery in public procurement.")


def test_every_aurora_query_compiles_to_a_target_rule():
    rules = aurora_rules()
    assert len(rules) > 370
    targets = {r.target for r in rules}
    assert {"1.1", "3.c", "16.6", "17.19"} <= targets and len(targets) >= 160
    assert all(re.fullmatch(r"\d+\.(\d+|[a-d])", t) for t in targets)


def test_suggestions_are_targets_with_confidence_and_evidence_as_written():
    found = {s.target: s for s in default_tagger().suggest(EGOV)}
    assert {"16.5", "16.6"} <= set(found)
    s = found["16.5"]
    assert 0.5 <= s.confidence <= 1 and s.goal == "16" and s.goal_iri == "http://metadata.un.org/sdg/16"
    phrases = {p for e in s.evidence for p in e.phrases}
    assert {"corruption", "bribery"} & phrases and all(p.lower() in EGOV.lower() for p in phrases)
    out = s.as_json()
    assert out["target"] == "http://metadata.un.org/sdg/16.5" and out["evidence"][0]["rule"]


def test_unrelated_text_gets_nothing_and_the_threshold_filters():
    tagger = default_tagger()
    assert tagger.suggest("The meeting is on Tuesday at ten.") == []
    everything = tagger.suggest(EGOV, threshold=0)
    assert len(everything) >= len(tagger.suggest(EGOV)) >= 1
    assert all(s.confidence >= 0.9 for s in tagger.suggest(EGOV, threshold=0.9))


def test_evidence_names_the_field_it_came_from():
    found = default_tagger().suggest_fields({"title": ["Women in public institutions"], "objective": [EGOV]})
    fields = {e.field for s in found for e in s.evidence}
    assert fields == {"title", "objective"}


def test_more_independent_evidence_means_more_confidence():
    tagger = default_tagger()
    one = max(s.confidence for s in tagger.suggest("Support to fisheries."))
    many = max(s.confidence for s in tagger.suggest("Support to fisheries, marine protected areas and coral reefs."))
    assert many > one


def test_a_bad_lexicon_row_names_file_and_line(tmp_path):
    lexicon = tmp_path / "lexicon.tsv"
    lexicon.write_text('target\tweight\tquery\n16.6\t1.0\t"governance"\n99\t1\t"x"\n')
    with pytest.raises(RuleError, match=r"lexicon.tsv line 3: target '99'"):
        lexicon_rules(lexicon)
    lexicon.write_text('target\tweight\tquery\n16.6\t1.0\t("governance"\n')
    with pytest.raises(RuleError, match=r"lexicon.tsv line 2: missing '\)'"):
        lexicon_rules(lexicon)
    assert Tagger([], scale=1, threshold=0.5).suggest(EGOV) == []


def test_read_documents_jsonl_plain_and_errors():
    assert list(read_documents(['{"id": "a", "text": "x"}\n', "\n", '{"text": "y"}\n'], "f")) == [("a", "x"), (3, "y")]
    assert list(read_documents(["first text\n", "second\n"], "f")) == [(1, "first text"), (2, "second")]
    with pytest.raises(SourceError, match=r"^f:2: not a JSON object"):
        list(read_documents(['{"text": "x"}\n', "{oops\n"], "f"))
    with pytest.raises(SourceError, match=r'^f:1: each line needs a "text" string'):
        list(read_documents(['{"id": 1}\n'], "f"))


def test_cli_suggest_sdgs_jsonl_and_text(tmp_path):
    jsonl = tmp_path / "docs.jsonl"
    jsonl.write_text(json.dumps({"id": "egov", "text": EGOV}) + "\n" + json.dumps({"id": 7, "text": "Tuesday."}) + "\n")
    result = CliRunner().invoke(main, ["suggest-sdgs", str(jsonl)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [x["id"] for x in lines] == ["egov", 7] and lines[1]["suggestions"] == []
    first = lines[0]["suggestions"][0]
    assert set(first) == {"target", "goal", "confidence", "evidence"} and first["confidence"] >= 0.5
    strict = CliRunner().invoke(main, ["suggest-sdgs", str(jsonl), "--threshold", "0.96"])
    kept = json.loads(strict.stdout.splitlines()[0])["suggestions"]
    assert 0 < len(kept) < len(lines[0]["suggestions"]) and all(s["confidence"] >= 0.96 for s in kept)
    text = tmp_path / "docs.txt"
    text.write_text("Clean drinking water and sanitation for rural schools.\n")
    out = CliRunner().invoke(main, ["suggest-sdgs", str(text), "--out", str(tmp_path / "o.jsonl")])
    assert out.exit_code == 0
    got = json.loads((tmp_path / "o.jsonl").read_text())
    assert got["id"] == 1 and got["suggestions"][0]["target"] == "http://metadata.un.org/sdg/6.1"


def test_cli_bad_input_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "text": "ok"}\n{"id": 2, "txt": "no"}\n')
    result = CliRunner().invoke(main, ["suggest-sdgs", str(bad)])
    assert result.exit_code == 2 and f"{bad}:2:" in result.output and "Traceback" not in result.output
    missing = CliRunner().invoke(main, ["suggest-sdgs", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "nope.jsonl: cannot open it" in missing.output
    unwritable = CliRunner().invoke(main, ["suggest-sdgs", str(bad), "--out", str(tmp_path / "no" / "o.jsonl")])
    assert unwritable.exit_code == 2 and "cannot open it" in unwritable.output and "Traceback" not in unwritable.output


SUGGESTED = "https://w3id.org/sdgkg/graph/suggested"


def test_the_build_suggests_targets_for_at_least_22_of_the_26_page_projects(built, store):
    rows = select(store, f"""SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{
        GRAPH <{SUGGESTED}> {{ ?s a sdgkg:SdgSuggestion ; sdgkg:suggestionFor ?p }} }}""")
    projects = select(store, f"""SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?p a sdgkg:Project
        GRAPH <{SUGGESTED}> {{ ?s a sdgkg:SdgSuggestion ; sdgkg:suggestionFor ?p }} }}""")
    assert built.summary["projects"] == 26 and int(projects[0]["n"]) >= 22
    # every kind of record gets suggestions (44 records: projects, activities, components, events, …)
    assert built.summary["sdg_suggestions"]["projects_with_suggestions"] == int(rows[0]["n"])


def test_suggestions_stay_in_their_graph_and_stated_links_are_unchanged(store):
    leaks = select(store, f"""SELECT DISTINCT ?g ?p WHERE {{ GRAPH ?g {{ ?s ?p ?o }}
        FILTER(?g != <{SUGGESTED}>)
        FILTER(?p IN (sdgkg:suggestedSDG, sdgkg:suggestionFor, sdgkg:confidence, sdgkg:evidence)) }}""")
    assert leaks == []
    assert select(store, f"SELECT * WHERE {{ GRAPH <{SUGGESTED}> {{ ?s sdgkg:addressesSDG ?o }} }}") == []
    stated = select(store, "SELECT DISTINCT ?p WHERE { ?p sdgkg:addressesSDG ?g }")
    assert {r["p"].rsplit("/", 1)[1] for r in stated} == {"belt-and-road-2030-agenda", "sdg16-conference"}


def test_each_suggestion_has_a_direct_link_confidence_method_and_evidence_from_its_text(store):
    rows = select(store, f"""SELECT ?p ?t ?c ?field ?phrase ?text WHERE {{ GRAPH <{SUGGESTED}> {{
          ?s sdgkg:suggestionFor ?p ; sdgkg:suggestedTarget ?t ; sdgkg:confidence ?c ; sdgkg:suggestionMethod ?m ;
             sdgkg:evidence ?e . ?p sdgkg:suggestedSDG ?t . ?m dct:hasVersion ?v .
          ?e sdgkg:textField ?field ; sdgkg:matchedPhrase ?phrase }}
        ?p ?field ?text }}""")
    assert rows
    norm = lambda s: " ".join(s.split()).lower()  # noqa: E731
    by_evidence: dict[tuple[str, str, str], bool] = {}
    for r in rows:
        assert 0.5 <= float(r["c"]) <= 1
        key = (r["p"], r["field"], r["phrase"])
        by_evidence[key] = by_evidence.get(key, False) or norm(r["phrase"]) in norm(r["text"])
    # every quoted phrase is found, as written, in the field the evidence names
    assert [k for k, found in by_evidence.items() if not found] == []
