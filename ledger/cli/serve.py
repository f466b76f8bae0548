"""Run the system's services one by one: ``index`` mirrors the ledger's events into SQL, ``serve`` serves
the HTTP API (started by :mod:`ledger.serving`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ledger.cli import context
from ledger.cli.app import RUN, app, console
from ledger.cli.options import DatabaseUrlOption
from ledger.errors import LedgerError

if TYPE_CHECKING:
    from ledger.indexer.runner import Finality, IndexerConfig
    from ledger.settings import Settings


def indexer_config(
    settings: Settings,
    *,
    confirmations: int | None = None,
    finality: str | None = None,
    poll_interval: float | None = None,
    batch_logs: int | None = None,
) -> IndexerConfig:
    """The indexer's configuration: the settings, unless given."""
    from ledger.indexer.runner import IndexerConfig

    return IndexerConfig(
        confirmations=settings.confirmations if confirmations is None else confirmations,
        finality=_finality(finality) if finality is not None else settings.finality,
        poll_interval=settings.poll_interval if poll_interval is None else poll_interval,
        target_logs=settings.index_batch_logs if batch_logs is None else batch_logs,
    )


def _finality(value: str) -> Finality:
    if value == "finalized":
        return "finalized"
    if value.isdigit():
        return int(value)
    raise LedgerError(f"--finality must be a number of blocks or 'finalized', not {value!r}")


@app.command(rich_help_panel=RUN)
def index(
    rpc_url: Annotated[
        str | None,
        typer.Option(
            "--rpc-url",
            help="JSON-RPC endpoint (default: PLEDGELEDGER_RPC_URL, else the running `up`'s chain)",
            show_default=False,
        ),
    ] = None,
    database_url: DatabaseUrlOption = None,
    once: Annotated[bool, typer.Option("--once", help="Stop at the head instead of following it")] = False,
    reset: Annotated[
        bool, typer.Option("--reset", help="Forget what was mirrored from this chain and index it again")
    ] = False,
    confirmations: Annotated[
        int | None,
        typer.Option(min=0, help="Index only blocks with this many blocks on top", show_default=False),
    ] = None,
    finality: Annotated[
        str | None,
        typer.Option(
            help="Depth at which blocks are final, or 'finalized' to ask the node", show_default=False
        ),
    ] = None,
    poll_interval: Annotated[
        float | None, typer.Option(min=0.01, help="Seconds between polls once caught up", show_default=False)
    ] = None,
    batch_logs: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Logs wanted per eth_getLogs request and per stored batch (default: "
            "PLEDGELEDGER_INDEX_BATCH_LOGS, else 10000); smaller batches commit more often",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Mirror the ledger's events into SQL: backfill with a progress bar, then follow the head."""
    from ledger.deploy import load_deployment
    from ledger.indexer.fetch import ChainReader
    from ledger.indexer.progress import RichProgress
    from ledger.indexer.rpc import RpcClient
    from ledger.indexer.runner import Indexer, LedgerSource

    settings = context.settings()
    url = context.chain_url(rpc_url)
    assert url is not None
    config = indexer_config(
        settings,
        confirmations=confirmations,
        finality=finality,
        poll_interval=poll_interval,
        batch_logs=batch_logs,
    )
    context.connect(url)  # a wrong or dead node fails here, within seconds, not after the RPC retries
    engine = context.migrated_engine(database_url)
    try:
        with RpcClient(url, give_up_after=settings.rpc_give_up_after) as rpc:
            reader = ChainReader(rpc, "")
            deployment = load_deployment(settings.deployments_dir, reader.chain_id())
            genesis = reader.header(0)
            if genesis is not None:
                context.check_genesis(deployment, genesis.hash)
            source = LedgerSource.from_packaged_abis(deployment)
            progress = RichProgress(console)
            try:
                cursor = Indexer(rpc, engine, source, config, observer=progress).run(once=once, reset=reset)
            finally:
                progress.close()
        console.print(
            f"Chain {cursor.chain_id}: mirrored up to block {cursor.block_number} (head {cursor.head_block}, "
            f"lag {cursor.lag})"
        )
    finally:
        engine.dispose()


@app.command(rich_help_panel=RUN)
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on")] = 8000,
    database_url: DatabaseUrlOption = None,
    rpc_url: Annotated[
        str | None,
        typer.Option(
            "--rpc-url",
            help="Node the reconciliation checks the mirror against (optional)",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (stateless; share the database)")] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs, /health, /metrics) with uvicorn until Ctrl-C."""
    from ledger.networks import check_rpc_url
    from ledger.serving import serve_api

    given = {
        "database_url": context.database_url(database_url),
        "rpc_url": check_rpc_url(rpc_url) if rpc_url else None,
    }
    overrides = {k: v for k, v in given.items() if v}
    settings = context.settings().model_copy(update=overrides)
    context.migrated_engine(settings.database_url).dispose()  # once, before any worker starts
    console.print(f"Serving the API at [bold]http://{host}:{port}[/bold] (docs at /docs)")
    environment = {f"PLEDGELEDGER_{name.upper()}": value for name, value in overrides.items()}
    serve_api(settings, host=host, port=port, workers=workers, environment=environment)
