"""The ledger's governance: OpenZeppelin's TimelockController as admin, Safe multisigs as its proposer and as
the guardian (:mod:`~ledger.governance.timelock`, :mod:`~ledger.governance.safe`), and that set-up built on a
local chain (:mod:`~ledger.governance.local`)."""
