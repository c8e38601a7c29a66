"""Front-end packages installed from npm by `make setup` (package-lock.json pins them).

The server hands them out locally (``/vendor/…``) and reads the world outlines from them: no
CDN and no download at run time.
"""

from __future__ import annotations

import os
from pathlib import Path

# URL under /vendor -> directory under node_modules
VENDOR = {
    "yasgui": "@zazuko/yasgui/build",
    "swagger-ui": "swagger-ui-dist",
    "redoc": "redoc/bundles",
}


def assets_dir() -> Path:
    """Where `make setup` put the npm packages (``SDGKG_ASSETS`` overrides)."""
    return Path(os.environ.get("SDGKG_ASSETS") or Path(__file__).resolve().parents[2] / "node_modules")
