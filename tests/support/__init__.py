"""What tests share beyond fixtures: the deployed ledger and its actors (:mod:`tests.support.chain`), the
databases (:mod:`tests.support.db`) and units (:mod:`tests.support.units`). Fixtures and hooks stay in the
``conftest.py`` files, which nothing imports."""
