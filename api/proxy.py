"""Whose address a request comes from: the peer of the connection, unless a trusted proxy says otherwise.

uvicorn rewrites the ASGI scope's client from ``X-Forwarded-For`` only for the proxies it trusts, and by
default it trusts 127.0.0.1, so any local process could pose as any address. The launchers here (``serve``,
``up``) pass :func:`uvicorn_proxy_options` instead: no forwarded header is believed unless the setting
``trusted_proxies`` names the proxy. Anyone starting ``uvicorn api.main:app`` by hand should pass
``--no-proxy-headers`` (or ``--forwarded-allow-ips`` naming their proxy) for the same effect.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection

from ledger.settings import Settings

#: The address counted for a request whose transport has none (a Unix socket).
UNKNOWN_CLIENT = "unknown"


def client_address(connection: HTTPConnection) -> str:
    """The client's address as the ASGI server saw it (after a trusted proxy's rewrite, if any)."""
    client = connection.client
    return client.host if client is not None and client.host else UNKNOWN_CLIENT


def uvicorn_proxy_options(settings: Settings) -> dict[str, Any]:
    """``uvicorn.run``/``uvicorn.Config`` keywords that trust forwarded headers only from
    ``settings.trusted_proxies``."""
    trusted = settings.trusted_proxies.strip()
    if not trusted:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": trusted}
