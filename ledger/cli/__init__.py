"""The ``pledgeledger`` command line: one module per command group, each thin over the typed client
(:mod:`ledger.client`) and the records service. Importing a command module costs only Typer and Rich; what a
command needs (web3, SQLAlchemy, the API) loads when it runs, so that ``--help`` answers at once."""

# Importing a module registers its commands; the order is the order of the help's panels.
from ledger.cli import run, deploy, serve  # noqa: F401  # isort: skip
from ledger.cli import campaign, token, role, timelock, safe  # noqa: F401  # isort: skip
from ledger.cli import round, supplier, pay, refund  # noqa: F401  # isort: skip
from ledger.cli import attest, reconcile  # noqa: F401  # isort: skip
from ledger.cli import pledge  # noqa: F401  # isort: skip
from ledger.cli import keys  # noqa: F401  # isort: skip
from ledger.cli.app import app, main

__all__ = ["app", "main"]
