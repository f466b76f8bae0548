"""Settings from the environment (prefix ``PLEDGELEDGER_``), with embedded defaults for local use."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
