"""Routes at the root, outside ``/api/v1``: ``/health`` for load balancers and ``/metrics`` for Prometheus."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from api.deps import EngineDep
from api.schemas.common import ErrorBody
from ledger.db.models import IndexerCursor

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: Literal["ok", "degraded"] = Field(
        description="ok; degraded while the indexer of a chain is halted (the API still answers: 200)"
    )
    database: Literal["ok"]
    indexer: Literal["ok", "halted"] = Field(description="halted: see /api/v1/status for why")
    halted_chains: list[int] = Field(description="Chains whose indexer is halted")


@router.get(
    "/health",
    response_model=Health,
    summary="Liveness: the API answers and its database is reachable; degraded if an indexer is halted",
    responses={503: {"model": ErrorBody, "description": "The database is unreachable"}},
)
def health(engine: EngineDep) -> Health | JSONResponse:
    try:
        with engine.connect() as conn:
            halted = list(
                conn.scalars(
                    select(IndexerCursor.chain_id)
                    .where(IndexerCursor.halt_reason.is_not(None))
                    .order_by(IndexerCursor.chain_id)
                )
            )
    except SQLAlchemyError:
        return JSONResponse(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            content={"detail": "the database is unreachable"},
        )
    if halted:
        return Health(status="degraded", database="ok", indexer="halted", halted_chains=halted)
    return Health(status="ok", database="ok", indexer="ok", halted_chains=[])


@router.get(
    "/metrics",
    summary="Prometheus metrics: requests by route, method and status; indexer progress",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.metrics_registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
