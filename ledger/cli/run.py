"""Run the system: ``up``, ``chain``, ``deploy``, ``compile``, ``index`` and ``serve``."""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from ledger.cli import context
from ledger.cli.app import RUN, app, console, err_console
from ledger.cli.options import AccountOption, DatabaseUrlOption, KeystoreOption
from ledger.errors import LedgerError

if TYPE_CHECKING:
    from ledger.compiler import Build
    from ledger.deploy import Deployment
    from ledger.indexer.runner import Finality
    from ledger.node import LocalNode, NodeKind
    from ledger.services import IndexerThread


def _compile() -> Build:
    from ledger.compiler import compile_contracts

    with console.status("Compiling contracts…"):
        return compile_contracts()


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


def _deploy(
    rpc_url: str,
    build: Build,
    keystore: Path | None,
    account: int | None,
    test_assets: bool | None,
    *,
    admin: str | None = None,
    guardian: str | None = None,
    admin_delay: int | None = None,
    min_supplier_delay: int | None = None,
) -> Deployment:
    """Deploy the ledger with the governance :func:`ledger.deploy.governance_plan` decides."""
    from ledger.chain import ErrorDecoder, Transactor, dev_accounts
    from ledger.cli.signing import signer_account
    from ledger.deploy import deploy, deploy_local, governance_plan, is_timelock
    from ledger.networks import not_local_because, require_local_chain
    from ledger.settings import get_settings

    w3 = context.connect(rpc_url)
    chain_id = int(w3.eth.chain_id)
    why_not_local = not_local_because(rpc_url, chain_id)
    local = why_not_local is None
    plan = governance_plan(
        local=local,
        admin=admin,
        guardian=guardian,
        admin_delay=admin_delay,
        min_supplier_delay=min_supplier_delay,
        not_local_because=why_not_local,
    )
    signer = signer_account(keystore, account or 0, rpc_url, chain_id)
    deployer = Transactor(w3, signer, ErrorDecoder(a.abi for a in build.artifacts.values()))
    if plan is None:
        # The local set-up's Safes and timelock are the development accounts'.
        require_local_chain(rpc_url, chain_id, advice="deploy with --admin and --guardian")
        with console.status(f"Deploying the ledger with a timelock and Safes to chain {chain_id}…"):
            return deploy_local(w3, deployer, build, dev_accounts(10, get_settings().dev_mnemonic))
    if not local and not is_timelock(w3, build, plan.admin):
        err_console.print(
            f"[yellow]Warning:[/yellow] the admin {plan.admin} is not a TimelockController: "
            f"what it does takes "
            "effect at once, and a stolen key can act before anyone sees it."
        )
    with console.status(f"Deploying to chain {chain_id}…"):
        return deploy(
            w3,
            deployer,
            build,
            admin=plan.admin,
            guardian=plan.guardian,
            admin_transfer_delay=plan.admin_transfer_delay,
            min_supplier_delay=plan.min_supplier_delay,
            test_assets=local if test_assets is None else test_assets,
        )


def _deployment_panel(deployment: Deployment, rpc_url: str, path: Path) -> Panel:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Chain", f"{deployment.chain_id} at {escape(rpc_url)}")
    table.add_row("PledgeLedger", deployment.ledger)
    table.add_row("Admin", deployment.admin + (" (timelock)" if deployment.timelock else ""))
    table.add_row("Guardian", deployment.guardian)
    if deployment.governance is not None:
        table.add_row("Board Safe", f"{deployment.governance.board_safe} (timelock proposer)")
    table.add_row("Deployed in block", str(deployment.block_number))
    table.add_row("Compiler", deployment.compiler_version)
    for symbol, token in deployment.tokens.items():
        table.add_row(f"{symbol} ({token.decimals} dec.)", f"{token.address}  feed {token.feed}")
    table.add_row("Deployment file", escape(str(path)))
    return Panel(table, title="pledgeledger deployment", border_style="green")


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
    from ledger.db.engine import make_engine
    from ledger.deploy import reusable_deployment, write_deployment
    from ledger.indexer.runner import IndexerConfig, LedgerSource
    from ledger.networks import check_rpc_url, require_local_chain
    from ledger.recursion import restore_safe_recursion_limit
    from ledger.services import ensure_port_free, running_api, running_indexer, up_database_url
    from ledger.settings import get_settings
    from ledger.upstate import UpState, clear

    restore_safe_recursion_limit()  # this process serves the API: see ledger.recursion
    settings = get_settings()
    if rpc_url:
        rpc_url = check_rpc_url(rpc_url)
    ensure_port_free("127.0.0.1", port)  # before starting anything
    build = _compile()
    with _chain(rpc_url, port=chain_port) as (url, node):
        w3 = context.connect(url)
        if demo:  # before anything is deployed, written or started
            from ledger.demo.chain import DEMO_ADVICE

            require_local_chain(url, int(w3.eth.chain_id), advice=DEMO_ADVICE)
        deployment = reusable_deployment(w3, settings.deployments_dir) or _deploy(
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
        config = IndexerConfig(
            confirmations=settings.confirmations,
            finality=settings.finality,
            poll_interval=min(settings.poll_interval, 0.25),
            target_logs=settings.index_batch_logs,
        )
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


@app.command(name="deploy", rich_help_panel=RUN)
def deploy_command(
    rpc_url: Annotated[str, typer.Option("--rpc-url", help="JSON-RPC endpoint of the node to deploy to")],
    admin: Annotated[
        str | None,
        typer.Option(
            help="The ledger's admin: a TimelockController whose proposer is a Safe "
            "(default on local chains: "
            "one built from the development accounts)",
            show_default=False,
        ),
    ] = None,
    guardian: Annotated[
        str | None,
        typer.Option(
            help="The guardian (a Safe): pauses, revokes suppliers, cancels campaigns", show_default=False
        ),
    ] = None,
    admin_delay: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=2**48 - 1,
            help="Seconds a new admin waits to accept the role (default 5 days; 1 day on local chains)",
            show_default=False,
        ),
    ] = None,
    min_supplier_delay: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=90 * 86_400,
            help="Shortest supplier delay of a campaign, in seconds (default 2 days; 0 on local chains)",
            show_default=False,
        ),
    ] = None,
    keystore: KeystoreOption = None,
    account: AccountOption = None,
    test_assets: Annotated[
        bool | None,
        typer.Option(
            "--test-assets/--no-test-assets",
            help="Also deploy mock tokens and feeds (default: on local chains)",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Deploy the contracts to an existing node; write the deployment file and, in deployments/CHAIN-ID/,
    what a block explorer needs to verify the ledger."""
    from ledger.deploy import write_deployment
    from ledger.networks import check_rpc_url
    from ledger.settings import get_settings
    from ledger.verification import write_verification

    url = check_rpc_url(rpc_url)
    build = _compile()
    deployment = _deploy(
        url,
        build,
        keystore,
        account,
        test_assets,
        admin=admin,
        guardian=guardian,
        admin_delay=admin_delay,
        min_supplier_delay=min_supplier_delay,
    )
    directory = get_settings().deployments_dir
    path = write_deployment(deployment, directory)
    verification = write_verification(context.connect(url), deployment, build, directory)
    console.print(_deployment_panel(deployment, url, path))
    console.print(f"Verification input for block explorers: [bold]{escape(str(verification))}[/bold]")


@app.command(name="compile", rich_help_panel=RUN)
def compile_command(
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if the cache is current")] = False,
) -> None:
    """Compile the contracts (cached; rebuilt only when a source, setting or the compiler changes)."""
    from ledger.compiler import compile_contracts

    with console.status("Compiling contracts…"):
        build = compile_contracts(force=force)
    console.print(f"Compiled {len(build.artifacts)} contracts with solc {build.compiler_version}")


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
    from ledger.errors import ChainResetError
    from ledger.indexer.fetch import ChainReader
    from ledger.indexer.progress import RichProgress
    from ledger.indexer.rpc import RpcClient
    from ledger.indexer.runner import Indexer, IndexerConfig, LedgerSource

    settings = context.settings()
    url = context.chain_url(rpc_url)
    assert url is not None
    config = IndexerConfig(
        confirmations=settings.confirmations if confirmations is None else confirmations,
        finality=_finality(finality) if finality is not None else settings.finality,
        poll_interval=settings.poll_interval if poll_interval is None else poll_interval,
        target_logs=settings.index_batch_logs if batch_logs is None else batch_logs,
    )
    context.connect(url)  # a wrong or dead node fails here, within seconds, not after the RPC retries
    engine = context.migrated_engine(database_url)
    try:
        with RpcClient(url, give_up_after=settings.rpc_give_up_after) as rpc:
            reader = ChainReader(rpc, "")
            chain_id = reader.chain_id()
            from ledger.deploy import load_deployment

            deployment = load_deployment(settings.deployments_dir, chain_id)
            genesis = reader.header(0)
            if genesis is not None and deployment.genesis_hash != genesis.hash:
                raise ChainResetError(
                    f"the deployment file for chain {chain_id} was written for an earlier chain (its genesis "
                    "differs from the node's): the node was restarted; run `pledgeledger deploy` first"
                )
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
    import uvicorn

    from api.main import create_app
    from api.proxy import uvicorn_proxy_options
    from ledger.networks import check_rpc_url
    from ledger.recursion import restore_safe_recursion_limit

    restore_safe_recursion_limit()  # the imports raised it (py_ecc): see ledger.recursion
    given = {
        "database_url": context.database_url(database_url),
        "rpc_url": check_rpc_url(rpc_url) if rpc_url else None,
    }
    overrides = {k: v for k, v in given.items() if v}
    settings = context.settings().model_copy(update=overrides)
    context.migrated_engine(settings.database_url).dispose()  # once, before any worker starts
    console.print(f"Serving the API at [bold]http://{host}:{port}[/bold] (docs at /docs)")
    proxy = uvicorn_proxy_options(settings)  # X-Forwarded-For only from the trusted proxies
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, **proxy)
        return
    # Worker processes build their own app from the environment.
    for name, value in overrides.items():
        os.environ[f"PLEDGELEDGER_{name.upper()}"] = value
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, workers=workers, **proxy)
