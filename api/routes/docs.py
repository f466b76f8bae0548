"""The OpenAPI documentation page at ``/docs``: Swagger UI served from this origin, not from a CDN.

FastAPI's own ``/docs`` loads Swagger UI from jsDelivr and is blank without internet (as on an aid
organisation's field office network). Here the page is FastAPI's, and its script, style and icon come from
the npm package ``swagger-ui-dist`` through an allow-list, as the dashboard's D3 does.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from api.assets import Assets, asset_response
from ledger.paths import NODE_MODULES

router = APIRouter(include_in_schema=False)

SWAGGER_UI_DIR = NODE_MODULES / "swagger-ui-dist"
ASSETS_PATH = "/docs/assets"

#: Every file the page loads, by the name it is served under.
ASSETS: Assets = {
    "swagger-ui-bundle.js": (SWAGGER_UI_DIR / "swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": (SWAGGER_UI_DIR / "swagger-ui.css", "text/css"),
    "favicon-32x32.png": (SWAGGER_UI_DIR / "favicon-32x32.png", "image/png"),
}

#: Swagger UI's settings beyond FastAPI's: no badge fetched from validator.swagger.io.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}


@router.get("/docs")
def docs_page(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "").rstrip("/")  # behind a proxy that mounts the API deeper
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title}: API documentation",
        swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon-32x32.png",
        swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
    )


@router.get(ASSETS_PATH + "/{name}")
def docs_asset(name: str) -> FileResponse:
    return asset_response(ASSETS, name, headers={})
