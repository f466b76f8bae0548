"""Settings from the environment (prefix ``PLEDGELEDGER_``), with embedded defaults for local use."""

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.db.engine import DEFAULT_DATABASE_URL
from ledger.paths import DEFAULT_BUILD_DIR

#: The mnemonic of Anvil's and Hardhat's public development accounts. Ganache is started with the same
#: one, so both local chains fund the same ten accounts. Never use it on a real network.
DEV_MNEMONIC = "test test test test test test test test test test test junk"


class Settings(BaseSettings):
    """Runtime configuration. Every field can be set as ``PLEDGELEDGER_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="PLEDGELEDGER_", env_file=".env", extra="ignore")

    rpc_url: str | None = Field(default=None, description="JSON-RPC endpoint; none starts a local Anvil")
    build_dir: Path = Field(default=DEFAULT_BUILD_DIR, description="Compiled artifacts cache")
    deployments_dir: Path = Field(default=Path("deployments"), description="Where deployment files go")
    dev_mnemonic: str = Field(default=DEV_MNEMONIC, description="Mnemonic of the local chain's accounts")
    node_start_timeout: float = Field(default=60.0, gt=0, description="Seconds to wait for a local chain")
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL, description="SQLAlchemy URL: sqlite:///file.db or postgresql://…"
    )
    confirmations: int = Field(default=0, ge=0, description="Blocks on top before a block is indexed")
    finality: int | Literal["finalized"] = Field(
        default=64, description="Depth at which blocks are final, or 'finalized' to ask the node"
    )
    poll_interval: float = Field(default=1.0, gt=0, description="Seconds between polls of the head")
    index_batch_logs: int = Field(
        default=10_000,
        gt=0,
        description="Logs wanted per eth_getLogs request and per batch the indexer stores",
    )
    rpc_give_up_after: float = Field(
        default=600.0, gt=0, description="Seconds without an answer from the node before the indexer stops"
    )
    api_max_page_size: int = Field(
        default=1_000, gt=0, description="Most rows one page of an API list returns"
    )
    document_max_bytes: int = Field(
        default=10 * 1024 * 1024, gt=0, description="Largest document (invoice, certificate…) accepted"
    )
    confirmation_depth: int = Field(
        default=12, gt=0, description="Blocks (its own included) before the API calls a pledge confirmed"
    )
    price_tolerance: Decimal = Field(
        default=Decimal("0.25"),
        ge=0,
        description="Reconciliation: a unit price above (1 + this) × the reference price is flagged",
    )
    auth_failure_limit: int = Field(
        default=10,
        gt=0,
        description="Failed API key attempts from one client address before it is refused (429)",
    )
    auth_failure_window: int = Field(
        default=300,
        gt=0,
        description="Seconds over which failed API key attempts are counted, and an address stays refused",
    )
    trusted_proxies: str = Field(
        default="",
        description=(
            "Reverse proxies (comma-separated addresses or networks, '*' for any) whose X-Forwarded-For "
            "names the client; empty trusts none: the client is whoever opened the connection"
        ),
    )
    idle_after_days: float = Field(
        default=90.0,
        gt=0,
        description="Reconciliation: funds held with no round open and no movement for this long are idle",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
