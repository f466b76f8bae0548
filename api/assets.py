"""Static files served by name from an allow-list, so that nothing else on disk (under ``node_modules``
above all) can be asked for. Front-end libraries come from npm (``scripts/setup`` runs ``npm ci``): every
page works with no internet."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fastapi import HTTPException, status
from fastapi.responses import FileResponse

#: A served name → the file and its media type.
Assets = Mapping[str, tuple[Path, str]]


def asset_response(assets: Assets, name: str, *, headers: Mapping[str, str]) -> FileResponse:
    """The file served as ``name``, or a 404 naming what is missing."""
    asset = assets.get(name)
    if asset is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no asset {name!r}")
    path, media_type = asset
    if not path.is_file():
        # Only the npm libraries can be missing: node_modules comes from `scripts/setup` (npm ci).
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"{name} is not installed: run scripts/setup (npm ci)"
        )
    return FileResponse(path, media_type=media_type, headers={**headers, "Cache-Control": "no-cache"})
