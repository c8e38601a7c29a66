// The query page: YASGUI (installed from npm by `make setup`, served from /vendor, no CDN) set up
// for this KG: completion of its prefixes, classes and properties from the store itself (never
// from prefix.cc or LOV), shareable /query?query=… URLs, result IRIs with their labels linking to
// the local pages, and a bar chart of numeric results.
(function () {
  "use strict";
  const holder = document.getElementById("yasgui");
  if (typeof window.Yasgui === "undefined") {
    document.getElementById("assets-missing").hidden = false;
    return;
  }
  const Yasgui = window.Yasgui;
  const Yasqe = Yasgui.Yasqe;
  const Yasr = Yasgui.Yasr;
  const PREFIXES = window.SDGKG_PREFIX_MAP;
  const about = document.getElementById("about");

  function sparql(query) {
    return fetch("/sparql", {
      method: "POST",
      headers: { "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json" },
      body: query,
    }).then(r => r.json());
  }

  // ---- completion from the KG ---------------------------------------------------------------
  const TERMS = {
    class: "SELECT DISTINCT ?t WHERE { { ?t a <http://www.w3.org/2002/07/owl#Class> } UNION { ?x a ?t } FILTER(isIRI(?t)) } LIMIT 5000",
    property: "SELECT DISTINCT ?t WHERE { { ?t a <http://www.w3.org/1999/02/22-rdf-syntax-ns#Property> } " +
      "UNION { ?t a <http://www.w3.org/2002/07/owl#ObjectProperty> } UNION { ?t a <http://www.w3.org/2002/07/owl#DatatypeProperty> } " +
      "UNION { ?s ?t ?o } } LIMIT 5000",
  };
  const termCache = {};
  function terms(kind) {
    termCache[kind] = termCache[kind] || sparql(TERMS[kind]).then(d => d.results.bindings.map(b => b.t.value));
    return termCache[kind];
  }
  Yasqe.defaults.prefixCcApi = null;
  Yasqe.forkAutocompleter("prefixes", {
    name: "kgPrefixes",
    persistenceId: null,
    get: () => Object.keys(PREFIXES).map(p => p + ": <" + PREFIXES[p] + ">"),
  }, false);
  Yasqe.forkAutocompleter("class", { name: "kgClasses", bulk: true, persistenceId: null, get: () => terms("class") }, false);
  Yasqe.forkAutocompleter("property", { name: "kgProperties", bulk: true, persistenceId: null, get: () => terms("property") }, false);
  Yasqe.defaults.autocompleters = ["kgPrefixes", "variables", "kgClasses", "kgProperties"];

  // ---- a bar chart of numeric results ---------------------------------------------------------
  const NUMERIC = /#(integer|decimal|double|float|int|long|short|nonNegativeInteger|positiveInteger)$/;
  function chartColumns(results) {
    if (!results || results.getType() !== "json") return null;
    const vars = results.getVariables();
    const rows = results.getBindings();
    if (!rows.length) return null;
    const isNumber = v => rows.every(r => !r[v] || (r[v].datatype && NUMERIC.test(r[v].datatype)));
    const value = vars.find(v => isNumber(v) && rows.some(r => r[v]));
    const label = vars.find(v => v !== value && !isNumber(v));
    return value && label ? { label, value } : null;
  }
  class ChartPlugin {
    constructor(yasr) { this.yasr = yasr; this.priority = 5; this.label = "Chart"; }
    canHandleResults() { return chartColumns(this.yasr.results) !== null; }
    getIcon() {
      const span = document.createElement("span");
      span.textContent = "▮▮";
      return span;
    }
    draw() {
      const cols = chartColumns(this.yasr.results);
      const rows = this.yasr.results.getBindings().filter(r => r[cols.value]).slice(0, 60);
      const max = Math.max(...rows.map(r => Number(r[cols.value].value)), 0) || 1;
      const ns = "http://www.w3.org/2000/svg";
      const svg = document.createElementNS(ns, "svg");
      const barH = 18, labelW = 260, width = 760;
      svg.setAttribute("viewBox", `0 0 ${width} ${rows.length * (barH + 4) + 4}`);
      svg.setAttribute("class", "result-chart");
      svg.setAttribute("role", "img");
      svg.setAttribute("aria-label", `${cols.value} by ${cols.label}`);
      rows.forEach((r, i) => {
        const y = 4 + i * (barH + 4);
        const n = Number(r[cols.value].value);
        const name = r[cols.label] ? displayName(r[cols.label]) : "(none)";
        const text = document.createElementNS(ns, "text");
        text.setAttribute("x", labelW - 6); text.setAttribute("y", y + barH - 5); text.setAttribute("text-anchor", "end");
        text.textContent = name.length > 40 ? name.slice(0, 39) + "…" : name;
        const bar = document.createElementNS(ns, "rect");
        bar.setAttribute("x", labelW); bar.setAttribute("y", y); bar.setAttribute("height", barH);
        bar.setAttribute("width", Math.max(1, (width - labelW - 70) * n / max));
        const title = document.createElementNS(ns, "title");
        title.textContent = `${name}: ${n}`;
        bar.appendChild(title);
        const value = document.createElementNS(ns, "text");
        value.setAttribute("x", labelW + Math.max(1, (width - labelW - 70) * n / max) + 4); value.setAttribute("y", y + barH - 5);
        value.textContent = String(n);
        svg.append(text, bar, value);
      });
      this.yasr.resultsEl.appendChild(svg);
    }
  }
  Yasr.registerPlugin("chart", ChartPlugin);
  Yasr.plugins.table.defaults.openIriInNewWindow = false;

  // ---- labels and local links for result IRIs -------------------------------------------------
  const labels = {};
  function local(iri) {
    if (iri.startsWith(window.SDGKG_BASE)) {
      const rest = iri.slice(window.SDGKG_BASE.length);
      return rest.startsWith("ontology#") ? "/ontology#" + rest.split("#")[1] : "/" + rest;
    }
    if (iri.startsWith("http://metadata.un.org/sdg/") && iri.indexOf("/ontology") < 0) return "/resource?iri=" + encodeURIComponent(iri);
    return null;
  }
  function displayName(term) {
    return term.type === "uri" && labels[term.value] ? labels[term.value] : term.value;
  }
  function fetchLabels(iris) {
    const wanted = iris.filter(i => !(i in labels) && local(i)).slice(0, 500);
    if (!wanted.length) return Promise.resolve();
    const values = wanted.map(i => "<" + i + ">").join(" ");
    return sparql("PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> " +
      "SELECT ?i (SAMPLE(?l) AS ?label) WHERE { VALUES ?i { " + values + " } " +
      "{ ?i skos:prefLabel ?l } UNION { ?i rdfs:label ?l } FILTER(!isLiteral(?l) || LANG(?l) = \"\" || LANGMATCHES(LANG(?l), \"en\")) } GROUP BY ?i")
      .then(d => d.results.bindings.forEach(b => { labels[b.i.value] = b.label.value; }))
      .catch(() => undefined);
  }
  function decorate(yasr) {
    yasr.resultsEl.querySelectorAll("a[href]").forEach(a => {
      const iri = a.dataset.iri || a.getAttribute("href");
      const here = local(iri);
      if (!here) return;
      if (!a.dataset.iri) a.addEventListener("click", e => e.stopPropagation());  // a link, not "expand the cell"
      a.dataset.iri = iri;
      a.setAttribute("href", here);
      a.removeAttribute("target");
      a.title = iri;
      if (labels[iri] && !a.querySelector(".iri-label")) {  // inside the link: the label is clickable too
        const span = document.createElement("span");
        span.className = "iri-label";
        span.textContent = labels[iri];
        a.appendChild(span);
      }
    });
  }
  // after each drawing: fetch the labels the results still lack, then draw once more
  function labelResults(yasr) {
    const results = yasr.results;
    if (!results || results.getType() !== "json") return decorate(yasr);
    const iris = new Set();
    results.getBindings().forEach(row => Object.values(row).forEach(t => { if (t.type === "uri") iris.add(t.value); }));
    const missing = [...iris].filter(i => !(i in labels) && local(i));
    if (!missing.length) return decorate(yasr);
    fetchLabels(missing).then(() => {
      missing.forEach(i => { if (!(i in labels)) labels[i] = ""; });  // asked once
      yasr.draw();
    });
  }

  // ---- the editor ------------------------------------------------------------------------------
  const initial = holder.dataset.initial;
  const yasgui = new Yasgui(holder, {
    requestConfig: { endpoint: "/sparql", method: "POST", acceptHeaderSelect: "application/sparql-results+json",
                     acceptHeaderGraph: "text/turtle" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: () => [{ endpoint: location.origin + "/sparql" }] },
    persistenceId: null,
    populateFromUrl: false,
    yasqe: { value: initial, resizeable: true, editorHeight: "320px" },
    yasr: { prefixes: PREFIXES, defaultPlugin: "table", pluginOrder: ["table", "chart", "response"] },
  });
  const tab = yasgui.getTab();
  const yasqe = tab.getYasqe();
  // whole values: an IRI with its label is read (and clicked) in full, not cut at the cell's edge
  const tableConfig = tab.getYasr().config.plugins.table;
  tableConfig.dynamicConfig = Object.assign({}, tableConfig.dynamicConfig, { isEllipsed: false });
  yasqe.setValue(initial);

  function share() {
    const url = new URL(location.href);
    url.search = "?query=" + encodeURIComponent(yasqe.getValue());
    history.replaceState(null, "", url);
  }
  yasqe.on("change", share);
  // the server's own message for a failed query (YASR's error view shows only the status)
  const status = document.getElementById("status");
  yasqe.on("queryResponse", (_y, res, duration) => {
    // a failed request arrives as an Error whose message is the body: {"error": …, "status": …}
    if (res instanceof Error) {
      let body = { error: res.message, status: "" };
      try { body = JSON.parse(res.message); } catch (e) { /* not JSON */ }
      status.textContent = "error " + body.status + ": " + body.error;
      status.className = "notice";
    } else {
      status.textContent = "answered in " + Math.round(duration || 0) + " ms";
      status.className = "muted";
    }
  });
  share();
  tab.getYasr().on("drawn", yasr => labelResults(yasr));

  fetch("/api/queries").then(r => r.json()).then(list => {
    const ul = document.getElementById("examples");
    list.forEach(q => {
      const li = document.createElement("li");
      li.textContent = q.title;
      li.title = q.description;
      li.dataset.name = q.name;
      li.addEventListener("click", () => {
        // parameters: bind their defaults so the example runs as it is
        let text = q.sparql.split("\n").filter(l => !l.startsWith("#")).join("\n");
        q.parameters.forEach(p => {
          const value = p.type === "iri" || p.type === "endpoint" ? "<" + p.default + ">"
            : p.type === "integer" || p.type === "decimal" || p.type === "boolean" ? p.default
            : JSON.stringify(p.default) + (p.type === "date" ? "^^xsd:date" : "");
          if (p.type === "endpoint") text = text.split("?" + p.name).join(value);
          else text = text.replace(/WHERE\s*\{/i, m => m + "\n  VALUES ?" + p.name + " { " + value + " }");
        });
        yasqe.setValue(text);
        about.textContent = q.description + (q.parameters.length ? " Parameters: " +
          q.parameters.map(p => p.name + " (" + p.type + ", default " + p.default + ")").join(", ") : "");
      });
      ul.appendChild(li);
    });
  });
  window.sdgkgEditor = { yasgui, yasqe, run: () => yasqe.query() };
})();
