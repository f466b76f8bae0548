"""Run the whole system: ``up`` (a chain, the contracts, the indexer and the API with the dashboard, in
one process) and ``chain`` (a local chain alone). The parts run alone too: ``deploy`` and ``compile``
(:mod:`ledger.cli.deploy`), ``index`` and ``serve`` (:mod:`ledger.cli.serve`)."""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from ledger.cli import context
from ledger.cli.app import RUN, app, console
from ledger.cli.options import KeystoreOption
from ledger.errors import LedgerError

if TYPE_CHECKING:
    from ledger.compiler import Build
    from ledger.deploy import Deployment
    from ledger.node import LocalNode, NodeKind
    from ledger.services import IndexerThread


@contextlib.contextmanager
def _chain(
    rpc_url: str | None, kind: NodeKind = "anvil", port: int | None = None
) -> Iterator[tuple[str, LocalNode | None]]:
    """The given endpoint, or a local chain started for the duration of the block."""
    from ledger.node import start_node
    from ledger.services import ensure_port_free

    if rpc_url:
        yield rpc_url, None
        return
    if port is not None:  # another run's chain: attaching to it would overwrite its deployment file
        ensure_port_free("127.0.0.1", port, option="--chain-port")
    with console.status(f"Starting {kind}…"):
        node = start_node(kind, port=port)
    try:
        yield node.rpc_url, node
    finally:
        node.stop()


def _status_panel(
    deployment: Deployment, rpc_url: str, database_url: str, api_url: str, indexer: IndexerThread
) -> Panel:
    from sqlalchemy import make_url

    cursor = indexer.cursor()
    lag = (
        "starting" if cursor is None else f"{cursor.lag} blocks (mirrored up to block {cursor.block_number})"
    )
    if (halted := indexer.halt()) is not None:
        reason = escape(halted.halt_reason or "")
        lag = f"[bold red]halted[/bold red] at block {halted.halted_block}: {reason}"
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Chain", f"{deployment.chain_id} at {escape(rpc_url)}")
    table.add_row("PledgeLedger", deployment.ledger)
    table.add_row("Database", escape(make_url(database_url).render_as_string(hide_password=True)))
    table.add_row("Indexer lag", lag)
    table.add_row("API", f"{api_url}/api/v1 (docs at {api_url}/docs)")
    table.add_row("Dashboard", f"{api_url}/")
    return Panel(table, title="pledgeledger up", border_style="green")


def _demo_key(database_url: str) -> str:
    """A manager key of its own for this run of the demo (stored hashed, like any key)."""
    from sqlalchemy.orm import Session

    from ledger.db.engine import make_engine
    from ledger.keys import create_key

    engine = make_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            _, plaintext = create_key(session, name=f"demo-fcssc-{secrets.token_hex(4)}", role="manager")
    finally:
        engine.dispose()
    return plaintext


def _play_demo(
    url: str, deployment: Deployment, build: Build, api_url: str, database_url: str, indexer: IndexerThread
) -> None:
    from ledger.chain import connect
    from ledger.demo import ApiClient, DemoChain, play_reference_campaign
    from ledger.demo.summary import summary_table
    from ledger.settings import get_settings

    chain = DemoChain.connect(connect(url), deployment, build, get_settings().dev_mnemonic)
    api = ApiClient(api_url, _demo_key(database_url))
    try:
        result = play_reference_campaign(chain, api, deployment.chain_id, console, healthy=indexer.check)
    finally:
        api.close()
    symbols = {t.address.lower(): symbol for symbol, t in deployment.tokens.items()}
    console.print(summary_table(result, symbols))
    console.print(f"Dashboard: [bold]{api_url}/[/bold]  (campaign {result.campaign_id})")


def _serve_until_interrupt(
    node: LocalNode | None, indexer: IndexerThread, panel: Callable[[], Panel]
) -> None:
    from rich.live import Live

    console.print("[dim]Serving. Press Ctrl-C to stop.[/dim]")
    with Live(panel(), console=console, auto_refresh=False, transient=False) as live:
        while node is None or node.alive():
            indexer.check()
            time.sleep(1)
            live.update(panel(), refresh=console.is_terminal)
    raise LedgerError(node.stopped_unexpectedly())


@app.command(rich_help_panel=RUN)
def up(
    rpc_url: Annotated[
        str | None,
        typer.Option("--rpc-url", help="JSON-RPC endpoint of an existing node (default: start Anvil)"),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", help="Database (default: SQLite; a chain started here gets its own file)"
        ),
    ] = None,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the API and dashboard")] = 8000,
    demo: Annotated[
        bool, typer.Option("--demo", help="Play the reference campaign (SCENARIO.md) through the system")
    ] = False,
    exit_after: Annotated[
        bool, typer.Option("--exit", help="Stop once started (and the demo played) instead of serving")
    ] = False,
    keystore: KeystoreOption = None,
    chain_port: Annotated[
        int | None,
        typer.Option(
            min=1, max=65535, help="Port for the local Anvil (default: a free one)", show_default=False
        ),
    ] = None,
) -> None:
    """Bring the system up: a local chain (unless --rpc-url), the contracts (deployed unless this chain has
    them), the indexer following the head and the API with the dashboard, until Ctrl-C. The other commands
    run from this directory use its chain, database and API while it runs."""
    from ledger.cli.deploy import compiled, deploy_contracts
    from ledger.cli.serve import indexer_config
    from ledger.db.engine import make_engine
    from ledger.deploy import reusable_deployment, write_deployment
    from ledger.indexer.runner import LedgerSource
    from ledger.networks import check_rpc_url, require_local_chain
    from ledger.recursion import restore_safe_recursion_limit
    from ledger.services import ensure_port_free, running_indexer, up_database_url
    from ledger.serving import running_api
    from ledger.settings import get_settings
    from ledger.upstate import UpState, clear

    restore_safe_recursion_limit()  # this process serves the API: see ledger.recursion
    settings = get_settings()
    if rpc_url:
        rpc_url = check_rpc_url(rpc_url)
    ensure_port_free("127.0.0.1", port)  # before starting anything
    build = compiled()
    with _chain(rpc_url, port=chain_port) as (url, node):
        w3 = context.connect(url)
        if demo:  # before anything is deployed, written or started
            from ledger.demo.chain import DEMO_ADVICE

            require_local_chain(url, int(w3.eth.chain_id), advice=DEMO_ADVICE)
        deployment = reusable_deployment(w3, settings.deployments_dir) or deploy_contracts(
            url, build, keystore, None, None
        )
        write_deployment(deployment, settings.deployments_dir)
        db_url = (
            up_database_url(
                database_url,
                chain_started=node is not None,
                deployment_chain=(deployment.chain_id, deployment.genesis_hash),
            )
            or settings.database_url
        )
        with console.status("Migrating the database…"):
            context.migrated_engine(db_url).dispose()
        engine = make_engine(db_url)
        config = indexer_config(settings, poll_interval=min(settings.poll_interval, 0.25))
        source = LedgerSource.from_deployment(deployment, build)
        api_settings = settings.model_copy(update={"database_url": db_url, "rpc_url": url})
        try:
            with (
                running_indexer(url, engine, source, config, settings.rpc_give_up_after) as indexer,
                running_api(api_settings, "127.0.0.1", port) as api_url,
            ):
                state = UpState(os.getpid(), url, db_url, api_url, deployment.chain_id)
                state.write()
                try:

                    def panel() -> Panel:
                        return _status_panel(deployment, url, db_url, api_url, indexer)

                    console.print(panel())
                    if demo:
                        _play_demo(url, deployment, build, api_url, db_url, indexer)
                        indexer.check()
                    if not exit_after:
                        _serve_until_interrupt(node, indexer, panel)
                finally:
                    clear(state)
        finally:
            engine.dispose()


@app.command(rich_help_panel=RUN)
def chain(
    kind: Annotated[str, typer.Option("--kind", help="anvil or ganache")] = "anvil",
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default: a free one)", show_default=False)
    ] = None,
) -> None:
    """Run a local chain with the development accounts until Ctrl-C."""
    if kind not in ("anvil", "ganache"):
        raise LedgerError(f"unknown chain kind {kind!r}: use anvil or ganache")
    with _chain(None, kind, port) as (url, node):  # type: ignore[arg-type]
        console.print(f"[green]{kind}[/green] listening at [bold]{url}[/bold]")
        console.print("[dim]Running. Press Ctrl-C to stop.[/dim]")
        while node is None or node.alive():
            time.sleep(0.5)
        raise LedgerError(node.stopped_unexpectedly())
