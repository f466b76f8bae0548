"""The indexer: mirrors the ledger contract's events into SQL.

One module per stage, wired by :mod:`ledger.indexer.runner`:
:mod:`~ledger.indexer.rpc` (JSON-RPC with retries) → :mod:`~ledger.indexer.fetch` (``eth_getLogs`` over
adaptive block ranges, block headers) → :mod:`~ledger.indexer.decode` (logs to rows, from the ABI) →
:mod:`~ledger.indexer.store` (one transaction per batch, with the cursor). :mod:`~ledger.indexer.lock`
keeps it to one indexer per chain and database.
"""
