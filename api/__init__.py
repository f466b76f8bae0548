"""The pledgeledger HTTP API (FastAPI): public reads of the chain mirror and reconciliation."""
