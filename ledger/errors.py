"""Exceptions users can act on. Every one derives from :class:`LedgerError` and, where one fits,
the matching builtin, so callers may catch either."""


class LedgerError(Exception):
    """Root of every error pledgeledger raises on purpose."""


class ToolchainError(LedgerError, RuntimeError):
    """A Node tool (solc-js, Anvil, Ganache) is missing or failed; run the set-up step."""


class CompilationError(LedgerError, RuntimeError):
    """The Solidity sources did not compile; the message carries the compiler's diagnostics."""


class NodeStartError(LedgerError, RuntimeError):
    """A local chain process did not start or did not answer in time."""


class ChainConnectionError(LedgerError, ConnectionError):
    """The JSON-RPC endpoint could not be reached."""


class TransactionFailedError(LedgerError, RuntimeError):
    """A transaction reverted; ``error`` names the contract's custom error when it is known."""

    def __init__(self, message: str, *, error: str | None = None, args: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.error = error
        self.error_args = args


class DeploymentNotFoundError(LedgerError, FileNotFoundError):
    """No deployment file exists for this chain; run `pledgeledger deploy` first."""


class DatabaseError(LedgerError, RuntimeError):
    """The database URL is wrong, the database cannot be reached, or its schema is not current."""


class RpcError(LedgerError, RuntimeError):
    """The node answered a JSON-RPC call with an error."""

    def __init__(self, message: str, *, code: int | None = None, data: object = None) -> None:
        super().__init__(message)
        self.code = code
        self.data = data


class IndexerLockedError(LedgerError, RuntimeError):
    """Another indexer is already mirroring this chain into this database."""


class ChainResetError(LedgerError, RuntimeError):
    """The chain is not the one the database mirrors (e.g. a local node was restarted); re-index with
    ``--reset``."""


class ReorgTooDeepError(LedgerError, RuntimeError):
    """A reorganisation reached below the blocks the indexer keeps; re-index with ``--reset``."""


class GovernanceError(LedgerError, RuntimeError):
    """A governance step cannot be taken: a Safe's signers or threshold, or a timelock operation's state."""
