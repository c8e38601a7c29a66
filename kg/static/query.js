// The query UI: no framework and no CDN, so it works offline and needs no build step.
(function () {
  "use strict";
  const editor = document.getElementById("editor");
  const results = document.getElementById("results");
  const status = document.getElementById("status");
  const about = document.getElementById("about");
  let last = null;

  function local(iri) {
    if (iri.startsWith(window.SDGKG_BASE)) {
      const rest = iri.slice(window.SDGKG_BASE.length);
      return rest.startsWith("ontology#") ? "/ontology#" + rest.split("#")[1] : "/" + rest;
    }
    if (iri.startsWith("http://metadata.un.org/sdg/") && iri.indexOf("/ontology") < 0) return "/resource?iri=" + encodeURIComponent(iri);
    return iri;
  }

  function cell(term) {
    const td = document.createElement("td");
    if (!term) return td;
    if (term.type === "uri") {
      const a = document.createElement("a");
      a.href = local(term.value);
      a.textContent = term.value;
      td.appendChild(a);
    } else {
      td.textContent = term.value;
    }
    return td;
  }

  function render(data) {
    results.innerHTML = "";
    if ("boolean" in data) { results.textContent = String(data.boolean); return; }
    const table = document.createElement("table");
    table.id = "result-table";
    const head = table.insertRow();
    data.head.vars.forEach(v => { const th = document.createElement("th"); th.textContent = v; head.appendChild(th); });
    data.results.bindings.forEach(b => {
      const tr = table.insertRow();
      data.head.vars.forEach(v => tr.appendChild(cell(b[v])));
    });
    results.appendChild(table);
  }

  async function run() {
    status.textContent = "running…";
    const t0 = performance.now();
    const resp = await fetch("/sparql", {
      method: "POST",
      headers: { "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json" },
      body: editor.value,
    });
    const text = await resp.text();
    if (!resp.ok) {
      let msg = text;
      try { msg = JSON.parse(text).error; } catch (e) { /* plain text */ }
      status.textContent = "error " + resp.status + ": " + msg;
      results.innerHTML = "";
      last = null;
      return;
    }
    last = JSON.parse(text);
    render(last);
    const n = "boolean" in last ? 1 : last.results.bindings.length;
    status.textContent = n + " result(s) in " + Math.round(performance.now() - t0) + " ms";
  }

  function download(kind) {
    if (kind === "json") {
      if (!last) return;
      save(new Blob([JSON.stringify(last, null, 2)], { type: "application/json" }), "results.json");
      return;
    }
    fetch("/sparql", { method: "POST", headers: { "Content-Type": "application/sparql-query", "Accept": "text/csv" },
                       body: editor.value })
      .then(r => r.blob()).then(b => save(b, "results.csv"));
  }

  function save(blob, name) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

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
        editor.value = text;
        about.textContent = q.description + (q.parameters.length ? " Parameters: " +
          q.parameters.map(p => p.name + " (" + p.type + ", default " + p.default + ")").join(", ") : "");
      });
      ul.appendChild(li);
    });
  });

  document.getElementById("run").addEventListener("click", run);
  document.getElementById("csv").addEventListener("click", () => download("csv"));
  document.getElementById("json").addEventListener("click", () => download("json"));
  editor.addEventListener("keydown", e => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run(); });
})();
