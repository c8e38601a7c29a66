"""Server settings: limits, federation allow-list and admin token, read once.

Every limit has a default that keeps a public endpoint safe; each can be set on the command
line (``kg serve --help``) or by an ``SDGKG_*`` environment variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SERVICE_ALLOW = ("https://query.wikidata.org/sparql",)


def _env(name: str, default: str) -> str:
    return os.environ.get(f"SDGKG_{name}", default)


@dataclass(frozen=True)
class Settings:
    """What the server may do and how much."""

    build_dir: Path = Path("build")
    store_url: str | None = None  # serve from a remote SPARQL endpoint instead of build_dir
    workers: int = 4  # query workers = concurrent queries (more than cores: scans wait, bench/README)
    worker_threads: int = 0  # workers a process over an on-disk store (0: all of them; memory: always 1)
    fast_limit: float = 1.0  # a query running longer is "long": low CPU priority, limited in number
    max_long: int = 0  # long queries at once (0: all workers but one; on disk all, and a thread more for cheap ones)
    timeout: float = 30.0  # default per-query timeout (s)
    max_timeout: float = 120.0  # the most a client may ask for with ?timeout=
    queue_timeout: float = 10.0  # how long a request waits for a free worker before 503
    max_rows: int = 100_000  # result rows (or triples) before 413
    max_body: int = 1_000_000  # request body bytes before 413
    max_query_chars: int = 100_000  # query text characters before 413
    max_nesting: int = 100  # nesting depth of { ( [ before 400 (deep nesting crashes the parser)
    admin_token: str | None = None  # enables SPARQL Update and Graph Store writes with a Bearer token
    service_allow: tuple[str, ...] = DEFAULT_SERVICE_ALLOW  # SERVICE endpoints allowed (origin + path)
    max_services: int = 3  # SERVICE clauses per query (each makes one outbound request)
    max_service_query_chars: int = 20_000  # a query with SERVICE is parsed in full to check it: keep it short
    page_wait: float = 5.0  # how long a page waits for a free worker before 503 + Retry-After
    allow_private_services: bool = False  # SERVICE to loopback/private hosts even if not listed
    cors_origins: tuple[str, ...] = ("*",)
    union_default_graph: bool = True  # default graph = union of the named graphs (else empty)
    base: str = "https://w3id.org/sdgkg/"  # IRI base of the served dataset: request paths are appended to it
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Settings from ``SDGKG_*`` environment variables, then explicit overrides."""
        allow = _env("SERVICE_ALLOW", ",".join(DEFAULT_SERVICE_ALLOW))
        values: dict[str, object] = {
            "build_dir": Path(_env("BUILD", "build")),
            "store_url": os.environ.get("SDGKG_STORE") or None,
            "workers": int(_env("WORKERS", "4")),
            "worker_threads": int(_env("WORKER_THREADS", "0")),
            "fast_limit": float(_env("FAST_LIMIT", "1")),
            "max_long": int(_env("MAX_LONG", "0")),
            "timeout": float(_env("TIMEOUT", "30")),
            "max_timeout": float(_env("MAX_TIMEOUT", "120")),
            "queue_timeout": float(_env("QUEUE_TIMEOUT", "10")),
            "max_rows": int(_env("MAX_ROWS", "100000")),
            "max_body": int(_env("MAX_BODY", "1000000")),
            "max_query_chars": int(_env("MAX_QUERY_CHARS", "100000")),
            "max_nesting": int(_env("MAX_NESTING", "100")),
            "max_services": int(_env("MAX_SERVICES", "3")),
            "max_service_query_chars": int(_env("MAX_SERVICE_QUERY_CHARS", "20000")),
            "page_wait": float(_env("PAGE_WAIT", "5")),
            "admin_token": os.environ.get("SDGKG_ADMIN_TOKEN") or None,
            "service_allow": tuple(x for x in allow.split(",") if x),
            "allow_private_services": _env("ALLOW_PRIVATE_SERVICES", "") in ("1", "true", "yes"),
            "cors_origins": tuple(x for x in _env("CORS_ORIGINS", "*").split(",") if x),
            "base": _env("BASE", "https://w3id.org/sdgkg/"),
            "union_default_graph": _env("DEFAULT_GRAPH", "union") != "empty",
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
