"""The typed client of the ledger contract (:class:`LedgerClient`), the calls it makes (:class:`LedgerCalls`,
also what a timelock schedules or a Safe signs) and what it returns (:class:`TxResult`, typed views)."""

from ledger.client.calls import ERC20_ABI, ERC20_ERRORS_ABI, ETH, Call, LedgerCalls
from ledger.client.ledger import GasEstimate, LedgerClient
from ledger.client.results import (
    CampaignInfo,
    LedgerEvent,
    RoundInfo,
    SupplierApproval,
    TokenConfig,
    TokenTotals,
    TxResult,
)
from ledger.rounds import RoundState

__all__ = [
    "ERC20_ABI",
    "ERC20_ERRORS_ABI",
    "ETH",
    "Call",
    "CampaignInfo",
    "GasEstimate",
    "LedgerCalls",
    "LedgerClient",
    "LedgerEvent",
    "RoundInfo",
    "RoundState",
    "SupplierApproval",
    "TokenConfig",
    "TokenTotals",
    "TxResult",
]
