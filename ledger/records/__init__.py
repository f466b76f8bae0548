"""Off-chain procurement records: validated inputs, writes with their version history, and the errors a
caller can act on. The API and the CLI write records only through :mod:`ledger.records.service`."""
