"""Developer tooling: the Slither wrapper, the ABI document renderer, the API served from a child process
and the gas measurement. Used by ``scripts/`` and ``tests/``, never by ``ledger`` or ``api``, and not part
of the wheel (``pyproject.toml`` packages only ``ledger`` and ``api``)."""
