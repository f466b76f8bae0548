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


class ContractRevertError(TransactionFailedError):
    """A contract refused a call with a known error; the message says what it means, ``error`` names it and
    ``error_args`` carries its values. The subclasses sort the refusals by what the user can do."""


class UnauthorizedError(ContractRevertError, PermissionError):
    """The signer lacks the role or the campaign the call needs: sign as someone else."""


class NotFoundOnChainError(ContractRevertError, LookupError):
    """No such campaign or round on chain: check the id."""


class InvalidArgumentError(ContractRevertError, ValueError):
    """An argument the contract refuses (zero, out of bounds, the wrong kind of address): change it."""


class NotAllowedNowError(ContractRevertError):
    """The call is valid but not in the current state (a round not open yet or already ended, a campaign
    paused or cancelled, a supplier not yet in effect): wait, or do what it needs first."""


class InsufficientFundsError(ContractRevertError):
    """Too little: the campaign's spendable funds, the signer's balance or allowance, or the gas given."""
