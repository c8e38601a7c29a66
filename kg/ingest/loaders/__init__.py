"""Loaders: plain functions from a source file to :class:`kg.ingest.records.Appearance` records.

Each loader is registered by the name used in ``sources/pages/sources.csv``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kg.ingest.loaders.da_page import load_da_page
from kg.ingest.loaders.egb_presentation import load_egb_presentation
from kg.ingest.loaders.iati import load_iati
from kg.ingest.loaders.project_page import load_project_page
from kg.ingest.loaders.unpog_presentation import load_unpog_presentation
from kg.ingest.records import Appearance, IatiActivity

Loader = Callable[[Path, str], list[Appearance] | list[IatiActivity]]

LOADERS: dict[str, Loader] = {
    "project_page": load_project_page,
    "egb_presentation": load_egb_presentation,
    "unpog_presentation": load_unpog_presentation,
    "da_page": load_da_page,
    "iati": load_iati,
}

__all__ = ["LOADERS", "Loader"]
