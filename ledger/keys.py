"""API keys: created once, shown once, stored only as a SHA-256 of their secret.

A key reads ``pl_<prefix>_<secret>``: the prefix (8 hex characters) finds the row and names the key in
logs; the secret (256 random bits) is compared by its hash in constant time. With that much entropy a
fast hash is enough; a slow password hash would only slow every request.

A key has a scope (:class:`~ledger.scope.KeyScope`): every campaign, or the campaigns it was created for.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger.db.records import API_ROLES, ApiKey, ApiKeyCampaign
from ledger.errors import ApiKeyError
from ledger.scope import KeyScope

#: Largest campaign id a key can be scoped to (the records store campaign ids as BIGINT).
MAX_CAMPAIGN_ID = 2**63 - 1
KEY_PATTERN = re.compile(r"^pl_(?P<prefix>[0-9a-f]{8})_(?P<secret>[A-Za-z0-9_-]{20,100})$")
_DUMMY_HASH = hashlib.sha256(b"no such key").hexdigest()


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    session: Session, *, name: str, role: str, campaigns: Iterable[int] = ()
) -> tuple[ApiKey, str]:
    """Store a new key named ``name`` with ``role``, acting on ``campaigns`` only (none: every campaign);
    returns the row and the plaintext key, which is not stored and cannot be shown again. Commits nothing:
    the caller's transaction does."""
    if role not in API_ROLES:
        raise ApiKeyError(f"unknown role {role!r}: use one of {', '.join(API_ROLES)}")
    scope = sorted(set(campaigns))
    if any(not 0 <= c <= MAX_CAMPAIGN_ID for c in scope):
        raise ApiKeyError(f"a campaign id is a whole number from 0 to {MAX_CAMPAIGN_ID}")
    name = name.strip()
    if not name or len(name) > 100:
        raise ApiKeyError("a key's name must be 1 to 100 characters")
    if session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise ApiKeyError(f"a key named {name!r} exists already (names stay taken after revocation)")
    while True:
        prefix = secrets.token_hex(4)
        if session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix)) is None:
            break
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        name=name,
        role=role,
        prefix=prefix,
        secret_sha256=_secret_hash(secret),
        created_at=datetime.now(UTC),
        all_campaigns=not scope,
        campaigns=[ApiKeyCampaign(campaign_id=c) for c in scope],
    )
    session.add(key)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent create took the name or the prefix
        raise ApiKeyError(f"a key named {name!r} exists already") from exc
    return key, f"pl_{prefix}_{secret}"


def authenticate(session: Session, plaintext: str) -> ApiKey | None:
    """The unrevoked key ``plaintext`` is, or ``None``."""
    match = KEY_PATTERN.fullmatch(plaintext)
    if match is None:
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == match["prefix"]))
    stored = key.secret_sha256 if key is not None else _DUMMY_HASH
    # Compare even when no row was found, so the answer takes the same time either way.
    valid = hmac.compare_digest(stored, _secret_hash(match["secret"]))
    if key is None or not valid or key.revoked_at is not None:
        return None
    return key


def scope_of(key: ApiKey) -> KeyScope:
    """The campaigns ``key`` acts on (its campaigns must be loaded: they are, with the key)."""
    if key.all_campaigns:
        return KeyScope(key_name=key.name)
    return KeyScope(key_name=key.name, campaigns=frozenset(c.campaign_id for c in key.campaigns))


def revoke_key(session: Session, *, name: str) -> ApiKey:
    """Revoke the key named ``name`` (revoking twice keeps the first time)."""
    key = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is None:
        raise ApiKeyError(f"no API key named {name!r}")
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        session.flush()
    return key


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, revoked ones included, oldest first."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))
