"""The FastAPI application.

``create_app`` builds an app on a settings object (and optionally an engine the caller owns, as tests
do). Apps are stateless apart from their engine's pool, so any number of workers may serve one database.
``uvicorn api.main:app`` works too: ``app`` is built from the environment on first access.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine

from api.body_limit import BodyLimitMiddleware
from api.errors import install_error_handlers
from api.failed_keys import FailedKeyLimiter
from api.freshness import FreshReadsMiddleware
from api.json_depth import JsonDepthMiddleware
from api.metrics import MetricsMiddleware, make_registry
from api.routes import api_router
from api.routes import dashboard as dashboard_routes
from api.routes import docs as docs_routes
from api.routes import root as root_routes
from api.security_headers import SecurityHeadersMiddleware
from ledger.db.engine import make_engine
from ledger.reconcile import MirrorVerifier, ReconcileCache
from ledger.recursion import restore_safe_recursion_limit
from ledger.settings import Settings, get_settings

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """An app reading ``settings`` (default: the environment's) on ``engine`` (default: one made from
    ``settings.database_url`` and disposed at shutdown)."""
    restore_safe_recursion_limit()  # the imports above raised it (py_ecc): see ledger.recursion
    settings = settings or get_settings()
    owns_engine = engine is None
    db = engine if engine is not None else make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owns_engine:
                db.dispose()

    app = FastAPI(
        title="pledgeledger",
        summary="Pledges on chain, reconciled with what was procured, paid, shipped and delivered.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served from this origin by api.routes.docs
        redoc_url=None,  # ReDoc would load its script and fonts from CDNs
    )
    app.state.settings = settings
    app.state.engine = db
    # With a node, every reconciliation is also checked against the contract's views.
    app.state.verifier = MirrorVerifier.from_rpc(settings.rpc_url) if settings.rpc_url else None
    # Reports are kept until the mirror moves or a record is written (per worker; workers share nothing).
    app.state.reconcile_cache = ReconcileCache()
    # Failed key attempts per client address (per worker: see api/failed_keys.py).
    app.state.failed_keys = FailedKeyLimiter(
        limit=settings.auth_failure_limit, window_seconds=settings.auth_failure_window
    )
    registry, http_metrics = make_registry(db)
    app.state.metrics_registry = registry
    # Outermost last: security headers on every answer; then the body's size, then its nesting, both
    # checked as it arrives and before anything parses it; the metrics; innermost, public reads answered
    # again while the database has not changed (per worker, the state read from the shared database).
    app.add_middleware(FreshReadsMiddleware, engine=db)
    app.add_middleware(MetricsMiddleware, metrics=http_metrics)
    app.add_middleware(JsonDepthMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        upload_paths=(f"{API_PREFIX}/documents",),
        upload_limit=settings.document_max_bytes,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    install_error_handlers(app)
    app.include_router(api_router, prefix=API_PREFIX)
    app.include_router(root_routes.router)
    app.include_router(dashboard_routes.router)
    app.include_router(docs_routes.router)
    return app


_app: FastAPI | None = None


def __getattr__(name: str) -> FastAPI:
    """``api.main.app``: the app of the environment's settings, built on first use (not on import)."""
    global _app  # one lazily built app per process, for ``uvicorn api.main:app``
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _app is None:
        _app = create_app()
    return _app
