"""The demo's side of the public API: record writes with a manager key, and reads, over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from ledger.errors import DemoApiError


class ApiClient:
    """A keep-alive client for one API server; every non-2xx answer raises :class:`DemoApiError`."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 60.0) -> None:
        self.base_url = base_url
        self._http = httpx.Client(base_url=base_url, timeout=timeout, headers={"X-API-Key": api_key})

    def close(self) -> None:
        self._http.close()

    def _checked(self, response: httpx.Response) -> Any:
        if response.is_error:
            request = response.request
            answer = f"{response.status_code} {response.text[:500]}"
            raise DemoApiError(f"{request.method} {request.url.path}: {answer}")
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        return self._checked(self._http.get(f"/api/v1{path}", params=params))

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._checked(self._http.post(f"/api/v1{path}", json=body))

    def upload(self, filename: str, content: bytes, form: dict[str, str]) -> Any:
        files = {"file": (filename, content, "application/pdf")}
        return self._checked(self._http.post("/api/v1/documents", data=form, files=files))

    def find(self, path: str, match: dict[str, Any], **params: Any) -> dict[str, Any] | None:
        """The first record of a list whose fields equal ``match`` (following the pages)."""
        cursor = None
        while True:
            page = self.get(path, **params, limit=1000, **({"cursor": cursor} if cursor else {}))
            for row in page["data"]:
                if all(row.get(k) == v for k, v in match.items()):
                    return dict(row)
            cursor = page.get("next_cursor")
            if not cursor:
                return None

    def wait_for_block(
        self, block: int, chain_id: int, *, timeout: float = 60.0, healthy: Callable[[], None] | None = None
    ) -> None:
        """Wait until the indexer has mirrored ``block`` of ``chain_id``, as the API reports it; ``healthy``
        raises if the indexer has stopped, so a crash is reported at once rather than as a timeout."""
        deadline = time.monotonic() + timeout
        while True:
            if healthy is not None:
                healthy()
            chains = {c["chain_id"]: c for c in self.get("/status")["data"]}
            if chains.get(chain_id, {}).get("halted"):
                raise DemoApiError(f"the indexer halted: {chains[chain_id]['halt']['reason']}")
            indexed = chains.get(chain_id, {}).get("indexed_block", -1)
            if indexed >= block:
                return
            if time.monotonic() > deadline:
                raise DemoApiError(
                    f"the indexer did not reach block {block} within {timeout:.0f} s (at {indexed})"
                )
            time.sleep(0.1)
