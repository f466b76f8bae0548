"""Which chains are local test chains, and what an RPC URL must look like. Light on purpose: the CLI
checks a user's URL before it loads web3."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from ledger.errors import LedgerError

ANVIL_CHAIN_ID = 31337
GANACHE_CHAIN_ID = 1337
#: Chains whose development accounts (a public mnemonic) may sign: nobody's money is on them.
LOCAL_CHAIN_IDS = frozenset({ANVIL_CHAIN_ID, GANACHE_CHAIN_ID})


def check_rpc_url(url: str) -> str:
    """``url`` if it is an http(s) URL with a host, else a :class:`LedgerError` that shows the fix."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        hint = f"http://{url.strip()}" if "://" not in url and url.strip() else "http://127.0.0.1:8545"
        raise LedgerError(f"{url!r} is not an RPC URL: it starts with http:// or https:// (e.g. {hint})")
    return url.strip()


def is_loopback(url: str) -> bool:
    """True for a URL whose host is this machine (localhost, 127.0.0.0/8, ::1)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def not_local_because(url: str, chain_id: int) -> str | None:
    """Why chain ``chain_id`` at ``url`` is not one the development accounts may sign for, or None if it is:
    on this machine *and* with a local chain id, so that a forwarded port to a real network, or a local
    chain exposed on the network, never gets the public dev keys."""
    if chain_id not in LOCAL_CHAIN_IDS:
        return f"chain {chain_id} is not a local chain"
    if not is_loopback(url):
        return f"{urlsplit(url).hostname or url or 'the node'} is not on this machine"
    return None


def require_local_chain(url: str, chain_id: int, *, advice: str) -> None:
    """Refuse, saying why and ``advice``, to let the development accounts sign for a chain that is not a
    local chain on this machine. Every use of their keys goes through here."""
    why = not_local_because(url, chain_id)
    if why is not None:
        raise LedgerError(
            f"the development accounts sign only for a local chain on this machine ({why}): {advice}"
        )
