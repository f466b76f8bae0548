"""Request dependencies as ``Annotated`` aliases: the database session, the caller's API key (its role
and scope), the chain being read and the settings.

Routes that write open their own transaction on the request's session (``with session.begin(): ...``):
the session is handed out with none begun. Authentication reads the key in a session of its own, so it
never leaves a transaction open on the request's session and nothing is written when a key is refused.
Failed key attempts are counted per client address (:mod:`api.failed_keys`).

A key's scope is checked where the campaign a request touches is known: by the service layer for record
writes and history (:mod:`ledger.records.ownership`), and here for exports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Query, Request, status
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from api.failed_keys import FailedKeyLimiter
from api.params import CampaignIdPath
from api.proxy import client_address
from ledger.db.models import IndexerCursor
from ledger.db.records import API_ROLES
from ledger.keys import authenticate, scope_of
from ledger.reconcile.cache import ReconcileCache
from ledger.scope import KeyScope
from ledger.settings import Settings

#: Largest value a BIGINT column (chain ids, block numbers, row ids) holds on every backend.
MAX_BIGINT = 2**63 - 1


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    """One session per request, closed (rolling back anything uncommitted) when the response is sent."""
    with Session(engine) as session:
        yield session


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]


def _presented_key(x_api_key: str | None, authorization: str | None) -> str | None:
    if x_api_key:
        return x_api_key.strip()
    if authorization:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
    return None


@dataclass(frozen=True)
class Caller:
    """The API key a request was made with, as read when it was authenticated."""

    name: str
    role: str
    scope: KeyScope


def get_failed_keys(request: Request) -> FailedKeyLimiter:
    limiter: FailedKeyLimiter = request.app.state.failed_keys
    return limiter


def require_role(*roles: str) -> Callable[..., Caller]:
    """A dependency admitting a valid, unrevoked API key whose role is one of ``roles``.

    No key or an unknown/revoked key is 401; a valid key with another role is 403; an address with too
    many failed attempts lately is 429, whatever key it sends.
    """
    unknown = set(roles) - set(API_ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    allowed = ", ".join(roles)

    def dependency(
        engine: EngineDep,
        request: Request,
        failed_keys: Annotated[FailedKeyLimiter, Depends(get_failed_keys)],
        x_api_key: Annotated[
            str | None, Header(description="API key (`pl_…`); `Authorization: Bearer <key>` also works")
        ] = None,
        authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> Caller:
        address = client_address(request)
        wait = failed_keys.retry_after(address)
        if wait is not None:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                detail=f"too many failed API key attempts from {address}; try again in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        presented = _presented_key(x_api_key, authorization)
        if presented is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="an API key is required: send it as the X-API-Key header",
                headers={"WWW-Authenticate": "Bearer"},
            )
        with Session(engine) as session:
            key = authenticate(session, presented)
            caller = Caller(key.name, key.role, scope_of(key)) if key is not None else None
        if caller is None:
            failed_keys.record_failure(address)
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="the API key is unknown or revoked",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if caller.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"the API key {caller.name!r} has role {caller.role!r}; this needs one of: {allowed}",
            )
        return caller

    return dependency


#: A manager's key: writes of off-chain records (within its scope).
ManagerKey = Annotated[Caller, Depends(require_role("manager"))]
#: A manager's or an auditor's key: exports and record history (within its scope).
ReaderKey = Annotated[Caller, Depends(require_role("manager", "auditor"))]


def require_campaign_reader(campaign_id: CampaignIdPath, key: ReaderKey) -> Caller:
    """A reader key whose scope covers the campaign in the path (checked before the route's work)."""
    key.scope.require(campaign_id, f"the export of campaign {campaign_id}")
    return key


def require_all_campaigns_reader(key: ReaderKey) -> Caller:
    """A reader key for every campaign: a whole-table export holds rows of every campaign."""
    key.scope.require_global("a whole-table export holds the rows of every campaign")
    return key


#: A reader key covering the ``{campaign_id}`` of the path.
CampaignReaderKey = Annotated[Caller, Depends(require_campaign_reader)]
#: A reader key for every campaign.
AllCampaignsReaderKey = Annotated[Caller, Depends(require_all_campaigns_reader)]


def get_chain_id(
    session: SessionDep,
    chain_id: Annotated[
        int | None,
        Query(ge=0, le=MAX_BIGINT, description="Chain to read (default: the chain the indexer mirrors)"),
    ] = None,
) -> int | None:
    """The chain asked for, else the one most recently indexed; ``None`` when nothing is indexed yet."""
    if chain_id is not None:
        return chain_id
    return session.scalar(select(IndexerCursor.chain_id).order_by(IndexerCursor.updated_at.desc()).limit(1))


ChainIdDep = Annotated[int | None, Depends(get_chain_id)]


def get_reconcile_cache(request: Request) -> ReconcileCache:
    """The app's report and aggregate cache (thread-safe; one per worker process)."""
    cache: ReconcileCache = request.app.state.reconcile_cache
    return cache


#: The campaign aggregates and reports kept between requests, shared by the campaign reads and the
#: reconciliation.
CacheDep = Annotated[ReconcileCache, Depends(get_reconcile_cache)]
