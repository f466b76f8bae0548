"""Every exception class of :mod:`ledger`, in one module: errors users can act on. Each derives from
:class:`LedgerError` and, where one fits, the matching builtin, so callers may catch either. The API maps
the record errors to HTTP statuses (in brackets); ``api.errors`` holds the API's own."""


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


class RecordError(LedgerError):
    """A record write or lookup was refused; nothing was written."""


class RecordNotFoundError(RecordError, LookupError):
    """The record (or campaign) asked for does not exist [404]."""


class RecordConflictError(RecordError):
    """The write clashes with what is stored: a duplicate, or an edit of a version that is no longer the
    latest (reload the record and apply the edit again) [409]."""


class InvalidRecordError(RecordError, ValueError):
    """The values are well-formed but do not fit the stored records, e.g. an unknown supplier, or more
    delivered than was shipped [422]."""


class DocumentTooLargeError(RecordError, ValueError):
    """The uploaded file is larger than the configured limit [413]."""


class RangeTooLargeError(RpcError):
    """A single block holds more logs than the node will return: nothing smaller can be asked."""


class RpcTimeoutError(ChainConnectionError, TimeoutError):
    """The node took longer than the request timeout (e.g. an ``eth_getLogs`` range that is too large)."""


class ResponseTooLargeError(RpcError):
    """The node's answer is larger than the caller would hold in memory; it was dropped unread."""


class BatchFileError(GovernanceError, ValueError):
    """A Transaction Builder batch file that cannot be used: unreadable, not of the format, or altered."""


class BatchChecksumError(BatchFileError):
    """The batch file's checksum is missing or does not match its content: it was changed after export."""


class WrongChainError(BatchFileError):
    """The batch is for another chain than the one it would run on."""


class ScopeError(LedgerError, PermissionError):
    """The key is limited to other campaigns than the one the request touches; nothing was written [403]."""


class VerificationError(LedgerError, ValueError):
    """The build, the sources on disk and the chain disagree, so an explorer could not verify the contract
    from these files: rebuild from the sources that were deployed, or deploy again."""


class OutdatedDeploymentError(DeploymentNotFoundError):
    """The deployment file was written for an older version of the ledger contract; deploy again."""


class CorruptDeploymentError(LedgerError, ValueError):
    """The deployment file is not one this version wrote; deploy again or restore it."""


class DemoApiError(LedgerError):
    """The API refused a demo request or did not catch up in time; the message has its answer."""


class FeedError(LedgerError, ValueError):
    """A price feed that does not answer like one, or whose answer a campaign must not rely on."""


class InvalidDonorAddressError(InvalidRecordError):
    """The donor is not a 20-byte hex address, or its mixed case is not a valid EIP-55 checksum."""


class ApiKeyError(LedgerError, ValueError):
    """An API key cannot be created or revoked as asked (unknown role, name taken, no such key)."""


class ChainMovedError(LedgerError):
    """The chain changed while a batch was fetched; the step is retried."""


class MirrorCheckUnreachableError(Exception):
    """The node did not answer (or cannot serve the state at the mirror's block)."""
