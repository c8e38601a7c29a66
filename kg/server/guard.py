"""Checks a query must pass before any engine sees it.

A ~12 KB query of 3000 nested braces segfaults pyoxigraph's parser, so size and nesting are
bounded on the raw text first. SERVICE targets are checked against the allow-list on a full
parse (what cannot be parsed is refused), at most a few calls per query: a public endpoint must
never make the server fetch arbitrary (or internal) URLs, nor one URL a thousand times.
"""

from __future__ import annotations

import ipaddress
import multiprocessing as mp
import re
import socket
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from kg.server.settings import Settings


@dataclass
class Refusal(Exception):
    """A request refused before evaluation, with its HTTP status and a readable reason."""

    status: int
    message: str

    def __str__(self) -> str:
        return self.message


_STRING_OR_COMMENT = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|'
    r"'''(?:[^'\\]|\\.|'(?!''))*'''|"
    r'"(?:[^"\\\n]|\\.)*"|'
    r"'(?:[^'\\\n]|\\.)*'|"
    r"<[^<>\"{}|^`\\\s]*>|"
    r"#[^\n]*"
)


def strip_strings(query: str) -> str:
    """The query without string literals, IRIs and comments (their braces do not nest)."""
    return _STRING_OR_COMMENT.sub(" ", query)


def mask_strings(text: str) -> str:
    """The text with strings, IRIs and comments blanked out, keeping every position."""
    return _STRING_OR_COMMENT.sub(lambda m: " " * len(m.group(0)), text)


_WORD = re.compile(r"\b(WHERE|USING|WITH|DELETE|INSERT)\b", re.IGNORECASE)


def apply_using(update: str, using: list[str], using_named: list[str]) -> str:
    """Add the protocol's using-graph-uri / using-named-graph-uri to every DELETE/INSERT … WHERE.

    SPARQL 1.1 Protocol §2.2.3: an operation that already names its dataset (USING or WITH)
    together with these parameters is an error.
    """
    if not using and not using_named:
        return update
    masked = mask_strings(update)
    clause = " ".join([f"USING <{g}>" for g in using] + [f"USING NAMED <{g}>" for g in using_named]) + " "
    inserts: list[int] = []
    depth, previous, op_names_dataset = 0, "", False
    tokens = [(m.start(), m.group(1).upper()) for m in _WORD.finditer(masked)]
    braces = [(i, c) for i, c in enumerate(masked) if c in "{};"]
    events = sorted([(i, "tok", w) for i, w in tokens] + [(i, "brace", c) for i, c in braces])
    for pos, kind, value in events:
        if kind == "brace":
            if value == ";" and depth == 0:
                op_names_dataset, previous = False, ""
            elif value != ";":
                depth += 1 if value == "{" else -1
                if depth == 0:
                    previous = "}"
            continue
        if depth != 0:
            continue
        if value in ("USING", "WITH"):
            op_names_dataset = True
        elif value == "WHERE" and previous != "DELETE":
            if op_names_dataset:
                raise Refusal(
                    400,
                    "the update names its dataset (USING/WITH) and the request has "
                    "using-graph-uri/using-named-graph-uri: use one or the other",
                )
            inserts.append(pos)
        previous = value
    for pos in reversed(inserts):
        update = update[:pos] + clause + update[pos:]
    return update


def nesting_depth(query: str) -> int:
    """Deepest nesting of (), {} and [] outside strings, IRIs and comments."""
    depth = deepest = 0
    for ch in strip_strings(query):
        if ch in "({[":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")}]":
            depth -= 1
    return deepest


def check_size(query: str, settings: Settings) -> None:
    """Refuse queries that are too long or too deeply nested to parse safely."""
    if len(query) > settings.max_query_chars:
        raise Refusal(413, f"query is {len(query)} characters; the limit is {settings.max_query_chars}")
    depth = nesting_depth(query)
    if depth > settings.max_nesting:
        raise Refusal(400, f"query nests {depth} levels deep; the limit is {settings.max_nesting}")


_SERVICE_WORD = re.compile(r"service", re.IGNORECASE)
_PER_ROW = {"Builtin_EXISTS", "Builtin_NOTEXISTS"}


@dataclass(frozen=True)
class ServicePolicy:
    """What SERVICE may reach: the allow-list, private addresses, calls and text size per query."""

    allow: tuple[str, ...]
    allow_private: bool = False
    max_services: int = 3
    max_chars: int = 20_000

    @classmethod
    def of(cls, settings: Settings) -> ServicePolicy:
        """The policy the server settings describe."""
        return cls(
            settings.service_allow,
            settings.allow_private_services,
            settings.max_services,
            settings.max_service_query_chars,
        )


def mentions_service(query: str) -> bool:
    """Whether the raw text contains the word SERVICE anywhere (strings and comments included).

    Deliberately blunt: a lexer of our own could disagree with the engine's about where a
    comment or string ends, so only rdflib's full parse may clear a query that says SERVICE.
    """
    return bool(_SERVICE_WORD.search(query))


def service_calls(query: str) -> list[tuple[str, bool]]:
    """Each SERVICE of a query as (endpoint, evaluated per row?), from rdflib's full parse.

    A variable endpoint is returned as '?var'. SERVICE inside EXISTS / NOT EXISTS is evaluated
    once per solution by pyoxigraph (measured: 10 rows, 10 calls), so it is marked per-row.
    Raises :class:`Refusal` when the query cannot be parsed: what cannot be checked is refused.
    """
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        algebra = translateQuery(parseQuery(query)).algebra
    except Exception as exc:  # noqa: BLE001 - any parse failure means the query cannot be checked
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise Refusal(
            400,
            "this query mentions SERVICE, and every SERVICE is checked before a query runs; it could not "
            f"be read as SPARQL 1.1 ({detail}). Write it in SPARQL 1.1 syntax (no LATERAL, triple terms "
            "or VERSION) or drop SERVICE",
        ) from None
    return _services_in(algebra)


def _services_in(algebra: object) -> list[tuple[str, bool]]:
    found: list[tuple[str, bool]] = []

    def walk(node: object, per_row: bool) -> None:
        if isinstance(node, dict):
            name = getattr(node, "name", None)
            per_row = per_row or name in _PER_ROW
            if name == "ServiceGraphPattern":
                term = node.get("term")
                found.append((f"?{term}" if term.__class__.__name__ == "Variable" else str(term), per_row))
            for value in node.values():
                walk(value, per_row)
        elif isinstance(node, list | tuple):
            for value in node:
                walk(value, per_row)

    walk(algebra, False)
    return found


def service_targets(query: str) -> list[str]:
    """The SERVICE endpoints a query names (IRIs resolved against its prefixes)."""
    return [target for target, _ in service_calls(query)] if mentions_service(query) else []


def _origin(url: str) -> tuple[str, str, int | None, str] | None:
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.hostname or parts.username is not None or parts.password is not None:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port, parts.path or "/"


def allowed(target: str, allow: tuple[str, ...]) -> bool:
    """Whether an endpoint is on the allow-list: same scheme, host and port, and the same path.

    An entry whose path ends with '/' admits the paths below it. Entries are never raw string
    prefixes: ``http://127.0.0.1:2719`` must not admit port 27198.
    """
    t = _origin(target)
    if t is None:
        return False
    for entry in allow:
        e = _origin(entry)
        if e is None or e[:3] != t[:3]:
            continue
        if t[3] == e[3] or (e[3].endswith("/") and t[3].startswith(e[3])):
            return True
    return False


def _is_private(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False  # unresolvable: the engine will fail to connect
    for info in infos:
        addr = ipaddress.ip_address(info[4][0].split("%")[0])
        if addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_reserved or addr.is_multicast:
            return True
    return False


def check_services(query: str, policy: ServicePolicy) -> None:
    """Refuse a query whose SERVICE calls are not allowed (403), too many, or uncheckable (400).

    At most ``max_services`` SERVICE clauses, none evaluated per row, so one query makes at
    most that many outbound requests.
    """
    if not mentions_service(query):
        return
    if len(query) > policy.max_chars:
        raise Refusal(
            413, f"a query with SERVICE may be at most {policy.max_chars} characters; this one is {len(query)}"
        )
    calls = service_calls(query)
    if len(calls) > policy.max_services:
        raise Refusal(403, f"the query has {len(calls)} SERVICE calls; at most {policy.max_services} are allowed")
    for target, per_row in calls:
        if target.startswith("?"):
            raise Refusal(403, f"SERVICE with a variable endpoint ({target}) is not allowed")
        if per_row:
            raise Refusal(403, f"SERVICE <{target}> inside EXISTS / NOT EXISTS would be called once per row")
        if not allowed(target, policy.allow):
            listed = ", ".join(policy.allow) or "none"
            raise Refusal(403, f"SERVICE <{target}> is not on this endpoint's allow-list ({listed})")
        host = urlsplit(target).hostname or ""
        explicit = host in ("localhost",) or _is_ip(host)
        if not explicit and not policy.allow_private and _is_private(host):
            raise Refusal(403, f"SERVICE <{target}> resolves to a private or loopback address")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _check_in_child(query: str, policy: ServicePolicy) -> tuple[int, str] | None:
    try:
        check_services(query, policy)
    except Refusal as r:
        return r.status, r.message
    return None


class ServiceChecker:
    """Runs :func:`check_services` in a separate process, bounded in time.

    rdflib's parser is pure Python: a long query kept the event loop (and the GIL) for ~19 s.
    In a child process it cannot stall the server, and a check past its time is killed.
    """

    def __init__(self) -> None:
        self._pool: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        with self._lock:
            if self._pool is None:
                self._pool = mp.get_context("spawn").Pool(2)
            return self._pool

    def check(self, query: str, policy: ServicePolicy, timeout: float) -> None:
        """Raise :class:`Refusal` as :func:`check_services` would; 400 when it takes too long."""
        if not mentions_service(query):
            return
        if len(query) > policy.max_chars:
            check_services(query, policy)  # refuses on size at once, without a parse
        pool = self._get()
        pending = pool.apply_async(_check_in_child, (query, policy))
        try:
            outcome = pending.get(timeout)
        except mp.TimeoutError:
            self.close()
            raise Refusal(400, f"the SERVICE check of this query took over {timeout:g} s; simplify it") from None
        if outcome is not None:
            raise Refusal(*outcome)

    def close(self) -> None:
        """Stop the child processes."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.terminate()


def _writes_default(op: Any) -> bool:
    name = op.name
    if name in ("InsertData", "DeleteData", "DeleteWhere"):
        return bool(op.get("triples"))
    if name == "Modify":
        if op.get("withClause") is not None:
            return False
        return any(part is not None and part.get("triples") for part in (op.get("delete"), op.get("insert")))
    if name == "Load":
        return op.get("graph") is None
    if name in ("Clear", "Drop", "Create"):
        return op.get("graphiri") == "DEFAULT"
    if name in ("Add", "Move", "Copy"):
        return op.get("graph")[-1] == "DEFAULT"
    return False


def update_operations(update: str) -> list[Any]:
    """The operations of an update from rdflib's parse; an unreadable update is refused (400)."""
    from rdflib.plugins.sparql.algebra import translateUpdate
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        return list(translateUpdate(parseUpdate(update)).algebra)
    except Exception as exc:  # noqa: BLE001 - any parse failure means the update cannot be checked
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise Refusal(400, f"malformed update (as SPARQL 1.1): {detail}") from None


def check_update(update: str, policy: ServicePolicy, *, union: bool) -> None:
    """Refuse what an update must not do: write the union default graph, LOAD from unlisted URLs.

    With a union default graph, the default graph is a view of the named graphs recomputed after
    each write; a triple written straight into it would vanish at the next write, so it is refused.
    """
    ops = update_operations(update)
    if _services_in(ops):
        raise Refusal(403, "SERVICE is not allowed in updates")
    for op in ops:
        if union and _writes_default(op):
            raise Refusal(
                400,
                f"{op.name} writes the default graph, which is the union of the named graphs here: "
                "write into a named graph (GRAPH <…>, WITH <…>, INTO GRAPH <…>), or serve with --default-graph empty",
            )
        if op.name == "Load" and not allowed(str(op.get("iri")), policy.allow):
            raise Refusal(403, f"LOAD <{op.get('iri')}> is not on this endpoint's allow-list")


_ENTITY_DECL = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def check_rdf_body(body: bytes, media_type: str) -> None:
    """Refuse RDF/XML that declares a DOCTYPE or entities: entity expansion turned 625 bytes into 30 MB."""
    if "xml" in media_type and _ENTITY_DECL.search(body):
        raise Refusal(400, "RDF/XML with a DOCTYPE or ENTITY declaration is refused (entity expansion)")
