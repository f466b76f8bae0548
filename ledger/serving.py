"""The one place where ``ledger`` starts the ``api`` app: ``pledgeledger up`` runs it in a thread beside the
indexer (:func:`running_api`), ``pledgeledger serve`` runs it with uvicorn in the foreground
(:func:`serve_api`).

No other module of ``ledger`` imports ``api`` (``tests/ledger/test_serving.py`` checks it): the API is built
on the ledger, not the other way round, and the web stack loads only when something is served."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator, Mapping

from ledger.errors import LedgerError
from ledger.recursion import restore_safe_recursion_limit
from ledger.services import ensure_port_free
from ledger.settings import Settings


@contextlib.contextmanager
def running_api(settings: Settings, host: str, port: int, timeout: float = 30.0) -> Iterator[str]:
    """The API (with whatever the app serves at ``/``) on ``host:port`` in a thread; yields its URL."""
    import uvicorn  # the web stack loads only when served

    from api.main import create_app
    from api.proxy import uvicorn_proxy_options

    restore_safe_recursion_limit()  # the imports may have raised it (py_ecc): see ledger.recursion
    ensure_port_free(host, port)
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        **uvicorn_proxy_options(settings),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="api", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive():
                raise LedgerError(f"the API did not start on {host}:{port}")
            if time.monotonic() > deadline:
                raise LedgerError(f"the API did not start on {host}:{port} within {timeout:.0f} s")
            time.sleep(0.05)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def serve_api(
    settings: Settings, *, host: str, port: int, workers: int, environment: Mapping[str, str]
) -> None:
    """Serve the API with uvicorn in this process until Ctrl-C. One worker serves the app built from
    ``settings``; several are processes that build their own app from the environment, to which
    ``environment`` (``PLEDGELEDGER_*`` variables) is added first."""
    import uvicorn

    from api.main import create_app
    from api.proxy import uvicorn_proxy_options

    restore_safe_recursion_limit()  # the imports may have raised it (py_ecc): see ledger.recursion
    proxy = uvicorn_proxy_options(settings)  # X-Forwarded-For only from the trusted proxies
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, **proxy)
        return
    os.environ.update(environment)
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, workers=workers, **proxy)
