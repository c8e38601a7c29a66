"""Checks a query must pass before any engine sees it.

A ~12 KB query of 3000 nested braces segfaults pyoxigraph's parser, so size and nesting are
bounded on the raw text first. SERVICE targets are checked against the allow-list: a public
endpoint must never make the server fetch arbitrary (or internal) URLs.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from kg.settings import Settings


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


_SERVICE = re.compile(r"\bSERVICE\b", re.IGNORECASE)


def service_targets(query: str) -> list[str]:
    """The SERVICE endpoints a query names (IRIs resolved against its prefixes).

    A variable endpoint is returned as '?var' and is always refused.
    """
    if not _SERVICE.search(strip_strings(query)):
        return []
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        algebra = translateQuery(parseQuery(query)).algebra
    except Exception:  # noqa: BLE001 - a syntax error is reported by the engine with its position
        return []
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if getattr(node, "name", None) == "ServiceGraphPattern":
                term = node.get("term")
                found.append(f"?{term}" if term.__class__.__name__ == "Variable" else str(term))
            for value in node.values():
                walk(value)
        elif isinstance(node, list | tuple):
            for value in node:
                walk(value)

    walk(algebra)
    return found


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


def check_services(query: str, settings: Settings) -> None:
    """Refuse SERVICE to endpoints that are not allowed (403)."""
    for target in service_targets(query):
        if target.startswith("?"):
            raise Refusal(403, f"SERVICE with a variable endpoint ({target}) is not allowed")
        if not any(target.startswith(prefix) for prefix in settings.service_allow):
            allowed = ", ".join(settings.service_allow) or "none"
            raise Refusal(403, f"SERVICE <{target}> is not on this endpoint's allow-list ({allowed})")
        host = urlsplit(target).hostname or ""
        explicit = host in ("localhost",) or _is_ip(host)
        if not explicit and not settings.allow_private_services and _is_private(host):
            raise Refusal(403, f"SERVICE <{target}> resolves to a private or loopback address")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
