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
