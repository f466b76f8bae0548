"""The one read model of the chain mirror and the records: what the API routes, the reconciliation, the
donor view and the CLI read, each definition once.

- :mod:`ledger.reads.mirror`: how far the mirror goes, and the filters that keep a read to one chain and
  campaign up to a block; confirmation states;
- :mod:`ledger.reads.campaigns`, :mod:`ledger.reads.rounds`, :mod:`ledger.reads.tokens`: a campaign, its
  rounds (state, spendable, refundable through :mod:`ledger.rounds`) and its token figures;
- :mod:`ledger.reads.aggregates` and :mod:`ledger.reads.sums`: pledge and refund sums, exact on every
  backend;
- :mod:`ledger.reads.donors`, :mod:`ledger.reads.payments`, :mod:`ledger.reads.procurement`: a donor's
  pledges and refunds, payments to suppliers, and the off-chain rows a report reads;
- :mod:`ledger.reads.units`: token units and USD amounts in words and decimals.
"""
