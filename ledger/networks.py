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


def is_local_chain(url: str, chain_id: int) -> bool:
    """A chain whose development accounts may sign: on this machine *and* with a local chain id, so that a
    forwarded port to a real network never gets the public dev keys."""
    return is_loopback(url) and chain_id in LOCAL_CHAIN_IDS
