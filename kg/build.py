"""The build pipeline: sources -> records -> triples -> dataset files in ``build/``.

The build writes into a temporary directory beside the target and swaps it in only when
everything succeeded, so a failed build leaves the previous ``build/`` untouched. Outputs are
sorted and free of timestamps and blank nodes, so two builds are byte-identical.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from kg import __version__
from kg.enrich.sdg_links import SUGGESTED_GRAPH, descriptive_properties, project_texts, suggestions_for_texts
from kg.enrich.search import INDEX_FILE, write_index
from kg.errors import BuildError, KgError
from kg.graph import namespaces as ns
from kg.graph.mapping import Mapped, Quad, map_appearances
from kg.graph.mapping_iati import map_activities
from kg.graph.namespaces import PREFIXES, SDGKG
from kg.graph.terms import NTriples
from kg.graph.vocabularies import (
    country_triples,
    iati_codelist_triples,
    ontology_triples,
    organisation_triples,
    sdg_triples,
)
from kg.ingest.loaders import LOADERS
from kg.ingest.records import Appearance, IatiActivity
from kg.ingest.reference import Reference, bundled_reference
from kg.ingest.sources import Source, read_manifest
from kg.parallel import Background
from kg.quality.checks import text_check_quads
from kg.quality.conflicts import Conflict, conflict_quads, find_conflicts
from kg.quality.measures import measurement_quads
from kg.quality.validate import SHAPES_DIR, Validation, load_shapes, summary_markdown, validate
from kg.reasoning.reason import Inference, infer
from kg.store.dataset import DATASET_FILE, STORE_DIR, Conversion, StoreWriter, sha256
from kg.store.swap import build_lock, prune, recover, swap_in

SDG_GRAPH = ns.graph_iri("sdg")

OUTPUTS = (
    "dataset.trig",
    "dataset.nq",
    "union.ttl",
    "union.jsonld",
    "summary.json",
    "validation.md",
)
STEPS = 7
Row = tuple[str, str, str, str]  # a quad as N-Triples text: graph, subject, predicate, object
RDF_TYPE = f"<{RDF.type}>"


@dataclass
class BuildResult:
    """What a build produced, for the CLI summary and for tests."""

    out: Path
    quads: int
    summary: dict[str, object] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    validation: Validation | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # per stage, for the benchmarks


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_sources(sources: list[Source]) -> list[Appearance | IatiActivity]:
    """Run each source's loader; errors name the file (and line, where the loader knows it)."""
    apps: list[Appearance | IatiActivity] = []
    for src in sources:
        try:
            found = LOADERS[src.loader](src.path, src.doc_id)
        except KgError:
            raise
        except Exception as exc:  # a loader bug must still name the file, not dump a traceback
            raise BuildError(f"{src.path}: loader {src.loader!r} failed: {exc!r}") from exc
        apps.extend(found)
    return apps


def provenance_quads(sources: list[Source]) -> list[Quad]:
    """PROV descriptions of the source documents and of the dataset."""
    g = ns.graph_iri("provenance")
    quads: list[Quad] = []
    for src in sources:
        d = ns.source_iri(src.doc_id)
        for p, o in [
            (RDF.type, SDGKG.SourceDocument),
            (RDFS.label, Literal(src.title)),
            (DCTERMS.title, Literal(src.title)),
            (DCTERMS.publisher, Literal(src.publisher)),
            (SDGKG.fileName, Literal(src.path.name)),
            (SDGKG.sha256, Literal(src.sha256())),
            (SDGKG.loader, Literal(f"kg.ingest.loaders.{src.loader}")),
            (SDGKG.loaderVersion, Literal(__version__)),
        ]:
            quads.append((d, p, o, g))
        if src.note:
            quads.append((d, RDFS.comment, Literal(src.note), g))
    quads += [
        (ns.DATASET, RDF.type, ns.DCAT.Dataset, g),
        (
            ns.DATASET,
            DCTERMS.title,
            Literal("sdgkg: development-cooperation projects and the SDGs"),
            g,
        ),
        (ns.DATASET, DCTERMS.hasVersion, Literal(__version__), g),
    ]
    quads += [(ns.DATASET, ns.PROV.wasDerivedFrom, ns.source_iri(s.doc_id), g) for s in sources]
    return quads


def reference_quads(ref: Reference) -> list[Quad]:
    """Ontology and reference vocabularies, each in its own named graph."""
    quads: list[Quad] = []
    for name, triples in [
        ("ontology", ontology_triples()),
        ("sdg", sdg_triples(ref)),
        ("countries", country_triples(ref)),
        ("organisations", organisation_triples(ref)),
        ("iati-codelists", iati_codelist_triples()),
    ]:
        g = ns.graph_iri(name)
        for s, p, o in triples:
            if isinstance(s, BNode) or isinstance(o, BNode):
                raise BuildError(f"blank node in the {name} graph: reference data must use IRIs")
            quads.append((s, p, o, g))
    return quads


def to_rows(quads: list[Quad], nt: NTriples) -> set[Row]:
    """Quads as de-duplicated N-Triples text rows (graph first, so sorting groups graphs)."""
    try:
        return {(nt(g), nt(s), nt(p), nt(o)) for s, p, o, g in quads}
    except ValueError as exc:  # pyoxigraph refuses an IRI or language tag the mapping let through
        raise BuildError(f"a mapped term is not valid RDF: {exc}") from None


def suggested_rows(texts: dict[URIRef, dict[str, list[str]]]) -> tuple[list[Row], int]:
    """The rows of graph/suggested for projects' texts, and how many projects got a suggestion."""
    quads, tagged = suggestions_for_texts(texts)
    return list(to_rows(quads, NTriples())), tagged


def nquads(rows: list[Row]) -> bytes:
    """Rows as N-Quads, in their order."""
    return "".join(f"{s} {p} {o} {g} .\n" for g, s, p, o in rows).encode()


def summarise(
    rows: set[Row],
    mapped: Mapped,
    apps: list[Appearance | IatiActivity],
    conflicts: list[Conflict],
    inference: Inference,
    validation: Validation,
) -> dict[str, object]:
    """Counts per class, per source, conflicts, inferences and findings; no timestamps."""
    classes: Counter[str] = Counter()
    for _s, cls in {(s, o) for _g, s, p, o in rows if p == RDF_TYPE}:
        classes[cls[1:-1]] += 1
    per_source = Counter(a.doc_id for a in apps)
    by_shape = Counter(f"{f.severity}: {f.shape}" for f in validation.findings)
    return {
        "version": __version__,
        "quads": len(rows),
        "graphs": len({r[0] for r in rows}),
        "projects": classes[str(SDGKG.Project)],
        "records": len(mapped.projects),  # projects and the other kinds (activities, components, events, …)
        "appearances": len(apps),
        "appearances_per_source": dict(sorted(per_source.items())),
        "instances_per_class": {k: v for k, v in sorted(classes.items()) if k.startswith(str(SDGKG)) or "org#" in k},
        "projects_with_conflicts": len({c.project for c in conflicts if not c.refinement}),
        "conflicts": {
            str(c.project) + " " + c.field: {str(g): list(v) for g, v in c.stated.items()}
            for c in conflicts
            if not c.refinement
        },
        "refinements": {
            str(c.project) + " " + c.field: {"kind": c.refinement} | {str(g): list(v) for g, v in c.stated.items()}
            for c in conflicts
            if c.refinement
        },
        "inferred_triples": len(inference.triples),
        "validation": {
            "violations": validation.count("Violation"),
            "warnings": validation.count("Warning"),
            "infos": validation.count("Info"),
            "by_shape": dict(sorted(by_shape.items())),
        },
        "warnings": mapped.warnings,
    }


def ntriples(triples: set[tuple[str, str, str]] | list[tuple[str, str, str]]) -> bytes:
    """Text triples as N-Triples (in the default graph when read as N-Quads)."""
    return "".join(f"{s} {p} {o} .\n" for s, p, o in triples).encode()


def write_outputs(
    directory: Path,
    rows: set[Row],
    triples: set[tuple[str, str, str]],
    summary: dict[str, object],
    validation_md: str,
    disk: StoreWriter | None = None,
) -> None:
    """Write the dataset and union dumps plus the summary into ``directory``.

    The rows (and ``triples``, their union) are written once as text, unsorted; child processes
    sort them (dataset.nq by graph, then line; the union by line) and stream them through
    pyoxigraph's serialisers, beside this process, which loads the store and seals the build.
    """
    prefixes = {k: str(v) for k, v in sorted(PREFIXES.items())}
    body = nquads(list(rows))
    unsorted = directory / ".dataset.unsorted.nq"
    unsorted.write_bytes(body)
    union_file = directory / ".union.nt"
    union_file.write_bytes(ntriples(list(triples)))
    dataset = directory / DATASET_FILE
    children = [
        Conversion(unsorted, "nquads", [(dataset, "nquads"), (directory / "dataset.trig", "trig")], prefixes,
                   sort="graph"),
        Conversion(union_file, "ntriples", [(directory / "union.ttl", "turtle"), (directory / "union.jsonld",
                   "jsonld")], prefixes, sort="line"),
    ]  # fmt: skip
    try:
        (directory / "validation.md").write_text(validation_md, encoding="utf-8")
        if disk is not None:
            summary["store"] = {"directory": STORE_DIR, "quads": disk.finish()}
        for child in children:
            child.wait()
        seal(directory, summary, expected=(len(body), None))
    except KgError as exc:
        raise BuildError(str(exc)) from None
    finally:
        for child in children:
            child.kill()
        unsorted.unlink(missing_ok=True)
        union_file.unlink(missing_ok=True)


def seal(
    directory: Path, summary: dict[str, object] | None = None, expected: tuple[int, str | None] | None = None
) -> None:
    """Write ``summary.json`` with the size, quad count and SHA-256 of ``dataset.nq``.

    A server reloads only a build whose dataset matches these figures: a truncated or emptied
    file is refused instead of served.
    """
    summary = dict(summary or {})
    path = directory / DATASET_FILE
    count = summary.get("quads")
    if count is None:
        count = sum(1 for line in path.read_bytes().splitlines() if line.strip() and not line.startswith(b"#"))
    summary["dataset"] = {"file": DATASET_FILE, "bytes": path.stat().st_size, "quads": count, "sha256": sha256(path)}
    facts = summary["dataset"]
    if expected is not None and (expected[0] != facts["bytes"] or expected[1] not in (None, facts["sha256"])):  # type: ignore[index]
        raise BuildError(f"{path}: the written dataset differs from the built one (disk full?)")
    (directory / "summary.json").write_text(
        json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def build(
    out: Path,
    *,
    sources: list[Source] | None = None,
    ref: Reference | None = None,
    shapes_dir: Path = SHAPES_DIR,
    strict: bool = False,
    progress: Callable[[str], None] = _progress,
    reasoner: str = "fast",
    validator: str = "fast",
) -> BuildResult:
    """Build the KG from the bundled sources (or the given ones) into ``out``.

    With ``strict``, a Violation fails the build (and ``out`` is left as it was).
    ``reasoner``/``validator`` choose the engines: ``fast`` (default) or the reference
    ``owlrl``/``pyshacl``; both give the same triples and findings (tested).
    """
    out = Path(out)
    ref = ref or bundled_reference()
    sources = read_manifest() if sources is None else sources
    clock = _Clock()
    progress(f"[1/{STEPS}] reading {len(sources)} source documents")
    apps = load_sources(sources)
    pages = [a for a in apps if isinstance(a, Appearance)]
    activities = [a for a in apps if isinstance(a, IatiActivity)]
    clock.lap("parse")
    progress(
        f"[2/{STEPS}] mapping {len(pages)} project appearances"
        + (f" and {len(activities)} IATI activities" if activities else "")
        + " to triples"
    )
    mapped = map_appearances(pages, ref)
    map_activities(activities, ref, mapped)
    clock.lap("map")
    progress(f"[3/{STEPS}] adding ontology, reference vocabularies, provenance and source disagreements")
    reference = reference_quads(ref)
    conflicts = find_conflicts(mapped.quads, ref.organisations)
    asserted = (
        mapped.quads + provenance_quads(sources) + conflict_quads(conflicts) + text_check_quads(mapped.quads, ref)
    )
    clock.lap("conflicts")
    texts = project_texts(
        mapped.quads, descriptive_properties([q for q in reference if q[3] == ns.graph_iri("ontology")])
    )
    # the tagger runs in a child process beside loading and reasoning; its rows join after reasoning
    suggested = Background(suggested_rows, texts)
    progress(
        f"      suggesting SDG targets for {len(texts)} projects" + (" in the background" if suggested.forked else "")
    )
    del texts
    clock.lap("suggest")
    try:
        with build_lock(out):
            recover(out)
            prune(out)
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
            tmp.chmod(0o755)
            disk = StoreWriter(tmp / STORE_DIR)
            try:
                result = _reason_validate_write(
                    out, tmp, disk, sources, apps, mapped, conflicts, asserted, reference, suggested, shapes_dir,
                    strict, progress, clock,
                    reasoner, validator,
                )  # fmt: skip
                progress(f"[7/{STEPS}] swapping the new build into {out}")
                swap_in(tmp, out)
                return result
            except OSError as exc:
                where = exc.filename or out.parent
                raise BuildError(
                    f"{where}: cannot write the build ({exc.strerror or exc}); free space or fix permissions "
                    f"and build again (the previous build in {out} is untouched)"
                ) from None
            finally:
                disk.abandon()
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
    finally:
        suggested.cancel()  # a failed build does not wait for the tagger


def _reason_validate_write(  # noqa: PLR0913 - the build's state, passed once
    out: Path,
    tmp: Path,
    disk: StoreWriter,
    sources: list[Source],
    apps: list[Appearance | IatiActivity],
    mapped: Mapped,
    conflicts: list[Conflict],
    asserted: list[Quad],
    reference: list[Quad],
    suggested: Background,
    shapes_dir: Path,
    strict: bool,
    progress: Callable[[str], None],
    clock: _Clock,
    reasoner: str,
    validator: str,
) -> BuildResult:
    """Stages 4-6 into ``tmp``; the on-disk store is loaded in the background meanwhile."""
    nt = NTriples()
    rows = to_rows(asserted + reference, nt)
    body = nquads(list(rows))
    store = ox.Store()
    store.load(body, format=ox.RdfFormat.N_QUADS)
    disk.put(body, ox.RdfFormat.N_QUADS)
    del body
    clock.lap("load")
    progress(f"[4/{STEPS}] reasoning (OWL 2 RL + roll-up rules, {reasoner} engine)")
    sdg = nt(SDG_GRAPH)
    inference = infer(
        [(s, p, o) for s, p, o, _ in asserted + [q for q in reference if q[3] != SDG_GRAPH]],
        [],
        [],
        engine=reasoner,
        store=store,
        nt=nt,
        text={r[1:] for r in rows if r[0] != sdg},
    )
    if inference.note:
        progress(f"      {inference.note}")
    inferred_graph = nt(ns.graph_iri("inferred"))
    inferred = {(inferred_graph, s, p, o) for s, p, o in inference.text} - rows
    disk.put(nquads(list(inferred)), ox.RdfFormat.N_QUADS)
    rows |= inferred
    triples = {r[1:] for r in rows}
    disk.put(ntriples(triples), ox.RdfFormat.N_TRIPLES)  # the union, in the default graph
    clock.lap("reason")
    progress(f"      {len(inference.triples)} triples inferred in {inference.seconds:.1f} s")
    # Suggestions join after reasoning: they are validated and served, never reasoned over.
    suggested_list, tagged = suggested.result()
    progress(f"      SDG target suggestions for {tagged} of {len(mapped.projects)} projects (graph/suggested)")
    suggestion_rows = set(suggested_list) - rows
    del suggested_list
    clock.lap("suggest")
    body = nquads(list(suggestion_rows))
    store.load(body, format=ox.RdfFormat.N_QUADS)
    disk.put(body, ox.RdfFormat.N_QUADS)
    suggestion_triples = {r[1:] for r in suggestion_rows} - triples
    disk.put(ntriples(suggestion_triples), ox.RdfFormat.N_TRIPLES)
    rows |= suggestion_rows
    triples |= suggestion_triples
    progress(f"[5/{STEPS}] validating against the SHACL shapes in {shapes_dir} ({validator} engine)")
    validation = validate(store, load_shapes(shapes_dir), sources_of=sources_by_subject(mapped), engine=validator)
    if validation.note:
        progress(f"      {validation.note}")
    clock.lap("validate")
    progress(
        f"      {validation.count('Violation')} violations, {validation.count('Warning')} warnings, "
        f"{validation.count('Info')} infos in {validation.seconds:.1f} s"
    )
    if strict and not validation.conforms:
        raise BuildError(
            f"--strict: {validation.count('Violation')} SHACL violations; "
            "see 'kg validate' for the findings (the previous build is untouched)"
        )
    report_graph = ns.graph_iri("validation")
    report = to_rows([(s, p, o, report_graph) for s, p, o in validation.report], nt)  # type: ignore[misc]
    report = report - rows
    rows |= report
    report_triples = {r[1:] for r in report} - triples
    triples |= report_triples
    quality = to_rows(measurement_quads(mapped.quads, validation.findings), nt) - rows  # type: ignore[arg-type]
    rows |= quality
    quality_triples = {r[1:] for r in quality} - triples
    triples |= quality_triples
    write_index(store, tmp / INDEX_FILE, progress)
    clock.lap("search")
    del store
    summary = summarise(rows, mapped, apps, conflicts, inference, validation)
    suggestion_for = nt(SDGKG.suggestionFor)
    summary["sdg_suggestions"] = {
        "graph": str(SUGGESTED_GRAPH),
        "projects_with_suggestions": len({r[3] for r in suggestion_rows if r[2] == suggestion_for}),
        "suggestions": sum(1 for r in suggestion_rows if r[2] == suggestion_for),
    }
    progress(f"[6/{STEPS}] writing {len(rows)} quads (and the on-disk store for serving)")
    disk.put(nquads(list(report | quality)), ox.RdfFormat.N_QUADS)
    disk.put(ntriples(report_triples | quality_triples), ox.RdfFormat.N_TRIPLES)
    summary["store"] = {"directory": STORE_DIR, "quads": None}  # filled in once the loader is done
    write_outputs(tmp, rows, triples, summary, summary_markdown(validation), disk)
    clock.lap("write")
    return BuildResult(out, len(rows), summary, mapped.warnings, validation, clock.seconds)


class _Clock:
    """Seconds per build stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(self.seconds.get(stage, 0.0) + now - self._last, 3)  # a stage may come back
        self._last = now


def sources_by_subject(mapped: Mapped) -> dict[URIRef, list[URIRef]]:
    """Which appearance graphs describe each node: for projects, every appearance of them."""
    found: dict[URIRef, set[URIRef]] = defaultdict(set)
    is_source: dict[URIRef, bool] = {}
    for s, _p, _o, g in mapped.quads:
        source = is_source.get(g)
        if source is None:
            source = is_source[g] = "/graph/source/" in str(g)
        if source:
            found[s].add(g)
    return {s: sorted(gs) for s, gs in found.items()}
