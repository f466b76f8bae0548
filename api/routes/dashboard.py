"""The dashboard: a static page at ``/`` and its assets, which read only the public API (``/api/v1``).

The front-end libraries (D3 and d3-sankey) come from npm and are served from ``node_modules`` through an
allow-list, so the page works with no internet and nothing else under ``node_modules`` is exposed.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.assets import Assets, asset_response
from ledger.paths import NODE_MODULES

router = APIRouter(include_in_schema=False)

DASHBOARD_DIR = Path(__file__).resolve().parent.parent / "dashboard"

#: Every file the page may load, by the name it is served under.
ASSETS: Assets = {
    # The page's ES modules: dashboard.js imports the others (index.html preloads them).
    **{
        f"{module}.js": (DASHBOARD_DIR / f"{module}.js", "text/javascript")
        for module in ("dashboard", "api", "dom", "format", "state", "views", "flow", "donor")
    },
    "dashboard.css": (DASHBOARD_DIR / "dashboard.css", "text/css"),
    "d3.min.js": (NODE_MODULES / "d3" / "dist" / "d3.min.js", "text/javascript"),
    "d3-sankey.min.js": (NODE_MODULES / "d3-sankey" / "dist" / "d3-sankey.min.js", "text/javascript"),
}

#: Only this origin's scripts, styles and API; no inline script, no CDN.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff"}


@router.get("/")
def dashboard_page() -> FileResponse:
    return FileResponse(DASHBOARD_DIR / "index.html", media_type="text/html", headers=HEADERS)


@router.get("/dashboard/{name}")
def dashboard_asset(name: str) -> FileResponse:
    return asset_response(ASSETS, name, headers=HEADERS)
