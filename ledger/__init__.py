"""pledgeledger: a blockchain-backed crowdfunding ledger for humanitarian procurement.

The pipeline: contracts (compile → deploy) → chain → indexer (fetch → decode → store) → SQL →
reconciliation → API.
"""

__version__ = "0.1.0"
