"""The ``pledgeledger`` command line (Typer + Rich).

Errors the user can act on are printed as one clear message with exit code 1, never a traceback.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import secrets
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from sqlalchemy import Engine, make_url
from sqlalchemy.orm import Session
from web3 import Web3

from ledger.chain import ErrorDecoder, Transactor, connect, dev_accounts
from ledger.compiler import Build, compile_contracts
from ledger.db.engine import make_engine
from ledger.db.migrate import upgrade
from ledger.deploy import (
    DEFAULT_ADMIN_TRANSFER_DELAY,
    DEFAULT_MIN_SUPPLIER_DELAY,
    LOCAL_ADMIN_TRANSFER_DELAY,
    LOCAL_MIN_SUPPLIER_DELAY,
    Deployment,
    deploy,
    deploy_local,
    is_timelock,
    load_deployment,
    write_deployment,
)
from ledger.errors import ChainResetError, DeploymentNotFoundError, LedgerError
from ledger.indexer.fetch import ChainReader
from ledger.indexer.progress import RichProgress
from ledger.indexer.rpc import RpcClient
from ledger.indexer.runner import Finality, Indexer, IndexerConfig, LedgerSource
from ledger.keys import create_key, list_keys, revoke_key
from ledger.node import ANVIL_CHAIN_ID, GANACHE_CHAIN_ID, LocalNode, NodeKind, start_node
from ledger.services import IndexerThread, ensure_port_free, running_api, running_indexer
from ledger.settings import get_settings

app = typer.Typer(
    name="pledgeledger",
    help="Crowdfunding ledger for humanitarian procurement: pledges on chain, reconciled in SQL.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

LOCAL_CHAIN_IDS = {ANVIL_CHAIN_ID, GANACHE_CHAIN_ID}

RpcUrlOption = Annotated[
    str | None, typer.Option("--rpc-url", help="JSON-RPC endpoint of an existing node (default: start Anvil)")
]
KeystoreOption = Annotated[
    Path | None,
    typer.Option(
        "--keystore", help="Encrypted JSON keystore to sign with (default: the local chain's account 0)"
    ),
]


@dataclass(frozen=True)
class GovernanceOptions:
    """Who governs a new deployment (``deploy``'s options); all ``None``: the local set-up."""

    admin: str | None = None
    guardian: str | None = None
    admin_delay: int | None = None
    min_supplier_delay: int | None = None


def _raise_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _signer(keystore: Path | None, chain_id: int) -> LocalAccount:
    """The deploying account: a keystore if given, else the dev account of a local chain."""
    if keystore is not None:
        try:
            encrypted = keystore.read_text()
        except OSError as exc:
            raise LedgerError(f"cannot read keystore {keystore}: {exc.strerror}") from exc
        password = getpass.getpass(f"Password for {keystore}: ")
        try:
            account: LocalAccount = Account.from_key(Account.decrypt(encrypted, password))
        except ValueError as exc:
            raise LedgerError(f"cannot decrypt keystore {keystore}: wrong password or corrupt file") from exc
        return account
    if chain_id not in LOCAL_CHAIN_IDS:
        raise LedgerError(f"chain {chain_id} is not a local chain: pass --keystore to sign with your own key")
    return dev_accounts(1, get_settings().dev_mnemonic)[0]


def _compile() -> Build:
    with console.status("Compiling contracts…"):
        return compile_contracts()


@contextlib.contextmanager
def _chain(
    rpc_url: str | None, kind: NodeKind = "anvil", port: int | None = None
) -> Iterator[tuple[str, LocalNode | None]]:
    """The given endpoint, or a local chain started for the duration of the block."""
    if rpc_url:
        yield rpc_url, None
        return
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
    test_assets: bool | None,
    governance: GovernanceOptions | None = None,
) -> Deployment:
    """Deploy the ledger. On a local chain without ``--admin``, the supported set-up is built from the
    development accounts (a timelock proposed by a board Safe as admin, a guardian Safe); otherwise the
    admin and the guardian are the addresses given."""
    w3 = connect(rpc_url)
    chain_id = w3.eth.chain_id
    local = chain_id in LOCAL_CHAIN_IDS
    options = governance or GovernanceOptions()
    account = _signer(keystore, chain_id)
    deployer = Transactor(w3, account, ErrorDecoder(a.abi for a in build.artifacts.values()))
    with_assets = local if test_assets is None else test_assets
    if options.admin is None:
        if not local:
            raise LedgerError(
                f"chain {chain_id} is not a local chain: deploy with `pledgeledger deploy --admin ADDRESS "
                "--guardian ADDRESS` (a TimelockController whose proposer is your board's Safe, and a Safe)"
            )
        with console.status(f"Deploying the ledger with a timelock and Safes to chain {chain_id}…"):
            return deploy_local(w3, deployer, build, dev_accounts(10, get_settings().dev_mnemonic))
    if options.guardian is None:
        raise LedgerError("--admin needs --guardian too: the guardian (a Safe) pauses, revokes and cancels")
    for name, address in (("--admin", options.admin), ("--guardian", options.guardian)):
        if not Web3.is_address(address):
            raise LedgerError(f"{name} {address!r} is not an address (0x followed by 40 hex digits)")
    min_supplier_delay = options.min_supplier_delay
    if min_supplier_delay is None:
        min_supplier_delay = LOCAL_MIN_SUPPLIER_DELAY if local else DEFAULT_MIN_SUPPLIER_DELAY
    if min_supplier_delay == 0 and not local:
        raise LedgerError("a minimum supplier delay of 0 is for local chains only: give the guardian time")
    admin_delay = options.admin_delay
    if admin_delay is None:
        admin_delay = LOCAL_ADMIN_TRANSFER_DELAY if local else DEFAULT_ADMIN_TRANSFER_DELAY
    if not local and not is_timelock(w3, build, options.admin):
        err_console.print(
            f"[yellow]Warning:[/yellow] the admin {options.admin} is not a TimelockController: what it does "
            "takes effect at once, and a stolen key can act before anyone sees it."
        )
    with console.status(f"Deploying to chain {chain_id}…"):
        return deploy(
            w3,
            deployer,
            build,
            admin=options.admin,
            guardian=options.guardian,
            admin_transfer_delay=admin_delay,
            min_supplier_delay=min_supplier_delay,
            test_assets=with_assets,
        )


def _deployment_panel(deployment: Deployment, rpc_url: str, path: Path) -> Panel:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Chain", f"{deployment.chain_id} at {rpc_url}")
    table.add_row("PledgeLedger", deployment.ledger)
    table.add_row("Admin", deployment.admin + (" (timelock)" if deployment.timelock else ""))
    table.add_row("Guardian", deployment.guardian)
    if deployment.governance is not None:
        table.add_row("Board Safe", f"{deployment.governance.board_safe} (timelock proposer)")
    table.add_row("Deployed in block", str(deployment.block_number))
    table.add_row("Compiler", deployment.compiler_version)
    for symbol, token in deployment.tokens.items():
        table.add_row(f"{symbol} ({token.decimals} dec.)", f"{token.address}  feed {token.feed}")
    table.add_row("Deployment file", str(path))
    return Panel(table, title="pledgeledger deployment", border_style="green")


def _wait_for_interrupt(node: LocalNode | None) -> None:
    console.print("[dim]Running. Press Ctrl-C to stop.[/dim]")
    while node is None or node.alive():
        time.sleep(0.5)
    raise LedgerError(f"the local chain stopped unexpectedly; see {node.log_path}")


def _current_deployment(url: str, build: Build, keystore: Path | None) -> Deployment:
    """The chain's deployment if its file matches the node (same genesis, code at the ledger's address),
    so that `up` run again on the same chain and database continues it; otherwise a new deployment."""
    w3 = connect(url)
    with contextlib.suppress(DeploymentNotFoundError):
        known = load_deployment(get_settings().deployments_dir, w3.eth.chain_id)
        genesis = w3.eth.get_block(0)["hash"].to_0x_hex()
        if known.genesis_hash == genesis and w3.eth.get_code(to_checksum_address(known.ledger)):
            return known
    return _deploy(url, build, keystore, test_assets=None)


def _up_database_url(database_url: str | None, node: LocalNode | None, deployment: Deployment) -> str:
    """--database-url, else the settings' database; a chain started here lives only as long as `up`, so
    its mirror goes to a SQLite file of its own (a database never holds two chains with the same id)."""
    if database_url:
        return database_url
    if node is None:
        return get_settings().database_url
    directory = Path(tempfile.gettempdir()) / "pledgeledger-up"
    return f"sqlite:///{directory / f'chain-{deployment.chain_id}-{deployment.genesis_hash[2:14]}.db'}"


def _status_panel(
    deployment: Deployment, rpc_url: str, database_url: str, api_url: str, indexer: IndexerThread
) -> Panel:
    cursor = indexer.cursor()
    lag = (
        "starting" if cursor is None else f"{cursor.lag} blocks (mirrored up to block {cursor.block_number})"
    )
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Chain", f"{deployment.chain_id} at {rpc_url}")
    table.add_row("PledgeLedger", deployment.ledger)
    table.add_row("Database", escape(make_url(database_url).render_as_string(hide_password=True)))
    table.add_row("Indexer lag", lag)
    table.add_row("API", f"{api_url}/api/v1 (docs at {api_url}/docs)")
    table.add_row("Dashboard", f"{api_url}/")
    return Panel(table, title="pledgeledger up", border_style="green")


def _demo_key(database_url: str) -> str:
    """A manager key of its own for this run of the demo (stored hashed, like any key)."""
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
    from ledger.demo import ApiClient, DemoChain, play_reference_campaign
    from ledger.demo.summary import summary_table

    if deployment.chain_id not in LOCAL_CHAIN_IDS:
        raise LedgerError(
            f"--demo signs with the development accounts of a local chain, not chain {deployment.chain_id}"
        )
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
    console.print("[dim]Serving. Press Ctrl-C to stop.[/dim]")
    with Live(panel(), console=console, auto_refresh=False, transient=False) as live:
        while node is None or node.alive():
            indexer.check()
            time.sleep(1)
            live.update(panel(), refresh=console.is_terminal)
    raise LedgerError(f"the local chain stopped unexpectedly; see {node.log_path}")


@app.command()
def up(
    rpc_url: RpcUrlOption = None,
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
        int | None, typer.Option(help="Port for the local Anvil (default: a free one)")
    ] = None,
) -> None:
    """Bring the system up: a local chain (unless --rpc-url), the contracts (deployed unless this chain
    has them), the indexer following the head and the API with the dashboard, until Ctrl-C."""
    settings = get_settings()
    ensure_port_free("127.0.0.1", port)  # before starting anything
    build = _compile()
    with _chain(rpc_url, port=chain_port) as (url, node):
        deployment = _current_deployment(url, build, keystore)
        write_deployment(deployment, settings.deployments_dir)
        db_url = _up_database_url(database_url, node, deployment)
        with console.status("Migrating the database…"):
            _migrated_engine(db_url).dispose()
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

                def panel() -> Panel:
                    return _status_panel(deployment, url, db_url, api_url, indexer)

                console.print(panel())
                if demo:
                    _play_demo(url, deployment, build, api_url, db_url, indexer)
                    indexer.check()
                if not exit_after:
                    _serve_until_interrupt(node, indexer, panel)
        finally:
            engine.dispose()


@app.command()
def chain(
    kind: Annotated[str, typer.Option("--kind", help="anvil or ganache")] = "anvil",
    port: Annotated[int | None, typer.Option(help="Port (default: a free one)")] = None,
) -> None:
    """Run a local chain with the development accounts until Ctrl-C."""
    if kind not in ("anvil", "ganache"):
        raise LedgerError(f"unknown chain kind {kind!r}: use anvil or ganache")
    with _chain(None, kind, port) as (url, node):  # type: ignore[arg-type]
        console.print(f"[green]{kind}[/green] listening at [bold]{url}[/bold]")
        _wait_for_interrupt(node)


@app.command(name="deploy")
def deploy_command(
    rpc_url: Annotated[str, typer.Option("--rpc-url", help="JSON-RPC endpoint of the node to deploy to")],
    admin: Annotated[
        str | None,
        typer.Option(
            help="The ledger's admin: a TimelockController whose proposer is a Safe (default on local "
            "chains: one built from the development accounts)"
        ),
    ] = None,
    guardian: Annotated[
        str | None, typer.Option(help="The guardian (a Safe): pauses, revokes suppliers, cancels campaigns")
    ] = None,
    admin_delay: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=2**48 - 1,
            help="Seconds a new admin waits to accept the role (default 5 days; 1 day on local chains)",
        ),
    ] = None,
    min_supplier_delay: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=90 * 86_400,
            help="Shortest supplier delay of a campaign, in seconds (default 2 days; 0 on local chains)",
        ),
    ] = None,
    keystore: KeystoreOption = None,
    test_assets: Annotated[
        bool | None,
        typer.Option(
            "--test-assets/--no-test-assets", help="Also deploy mock tokens and feeds (default: local chains)"
        ),
    ] = None,
) -> None:
    """Deploy the contracts to an existing node and write the deployment file."""
    build = _compile()
    options = GovernanceOptions(admin, guardian, admin_delay, min_supplier_delay)
    deployment = _deploy(rpc_url, build, keystore, test_assets, options)
    path = write_deployment(deployment, get_settings().deployments_dir)
    console.print(_deployment_panel(deployment, rpc_url, path))


@app.command(name="compile")
def compile_command(
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if the cache is current")] = False,
) -> None:
    """Compile the contracts (cached; rebuilt only when a source, setting or the compiler changes)."""
    with console.status("Compiling contracts…"):
        build = compile_contracts(force=force)
    console.print(f"Compiled {len(build.artifacts)} contracts with solc {build.compiler_version}")


def _finality(value: str) -> Finality:
    if value == "finalized":
        return "finalized"
    if value.isdigit():
        return int(value)
    raise LedgerError(f"--finality must be a number of blocks or 'finalized', not {value!r}")


@app.command()
def index(
    rpc_url: Annotated[
        str | None, typer.Option("--rpc-url", help="JSON-RPC endpoint (default: PLEDGELEDGER_RPC_URL)")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Database (default: PLEDGELEDGER_DATABASE_URL)")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Stop at the head instead of following it")] = False,
    reset: Annotated[
        bool, typer.Option("--reset", help="Forget what was mirrored from this chain and index it again")
    ] = False,
    confirmations: Annotated[
        int | None, typer.Option(min=0, help="Index only blocks with this many blocks on top")
    ] = None,
    finality: Annotated[
        str | None, typer.Option(help="Depth at which blocks are final, or 'finalized' to ask the node")
    ] = None,
    poll_interval: Annotated[
        float | None, typer.Option(min=0.01, help="Seconds between polls once caught up")
    ] = None,
    batch_logs: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Logs wanted per eth_getLogs request and per stored batch (default: "
            "PLEDGELEDGER_INDEX_BATCH_LOGS, else 10000); smaller batches commit more often",
        ),
    ] = None,
) -> None:
    """Mirror the ledger's events into SQL: backfill with a progress bar, then follow the head."""
    settings = get_settings()
    url = rpc_url or settings.rpc_url
    if not url:
        raise LedgerError("no node to index: pass --rpc-url or set PLEDGELEDGER_RPC_URL")
    config = IndexerConfig(
        confirmations=settings.confirmations if confirmations is None else confirmations,
        finality=_finality(finality) if finality is not None else settings.finality,
        poll_interval=settings.poll_interval if poll_interval is None else poll_interval,
        target_logs=settings.index_batch_logs if batch_logs is None else batch_logs,
    )
    engine = make_engine(database_url or settings.database_url)
    try:
        upgrade(engine)
        with RpcClient(url, give_up_after=settings.rpc_give_up_after) as rpc:
            reader = ChainReader(rpc, "")
            chain_id = reader.chain_id()
            deployment = load_deployment(settings.deployments_dir, chain_id)
            genesis = reader.header(0)
            if genesis is not None and deployment.genesis_hash != genesis.hash:
                raise ChainResetError(
                    f"the deployment file for chain {chain_id} was written for an earlier chain (its genesis "
                    "differs from the node's): the node was restarted; run `pledgeledger deploy` first"
                )
            source = LedgerSource.from_deployment(deployment, _compile())
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


# ─── API: serve, keys ──────────────────────────────────────────────────────────────────────────────────

DatabaseUrlOption = Annotated[
    str | None, typer.Option("--database-url", help="Database (default: PLEDGELEDGER_DATABASE_URL)")
]


def _migrated_engine(database_url: str | None) -> Engine:
    engine = make_engine(database_url or get_settings().database_url)
    upgrade(engine)
    return engine


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on")] = 8000,
    database_url: DatabaseUrlOption = None,
    rpc_url: Annotated[
        str | None,
        typer.Option("--rpc-url", help="Node the reconciliation checks the mirror against (optional)"),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (stateless; share the database)")] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs, /health, /metrics) with uvicorn until Ctrl-C."""
    # Imported here: only `serve` needs the web stack.
    import uvicorn

    from api.main import create_app

    overrides = {k: v for k, v in {"database_url": database_url, "rpc_url": rpc_url}.items() if v}
    settings = get_settings().model_copy(update=overrides)
    _migrated_engine(settings.database_url).dispose()  # once, before any worker starts
    console.print(f"Serving the API at [bold]http://{host}:{port}[/bold] (docs at /docs)")
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port)
        return
    # Worker processes build their own app from the environment.
    for name, value in overrides.items():
        os.environ[f"PLEDGELEDGER_{name.upper()}"] = value
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, workers=workers)


keys_app = typer.Typer(help="API keys: a manager's writes records, an auditor's reads exports and history.")
app.add_typer(keys_app, name="keys", no_args_is_help=True)


class KeyRole(StrEnum):
    manager = "manager"
    auditor = "auditor"


@keys_app.command("create")
def keys_create(
    role: Annotated[KeyRole, typer.Option("--role", help="manager or auditor")],
    name: Annotated[str, typer.Option("--name", help="Who or what uses the key (unique)")],
    database_url: DatabaseUrlOption = None,
) -> None:
    """Create an API key and print it: it is stored hashed and cannot be shown again."""
    engine = _migrated_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            key, plaintext = create_key(session, name=name, role=role.value)
            role_name = key.role
    finally:
        engine.dispose()
    err_console.print(f"Created {role_name} key {name!r}. Store it now; it cannot be shown again:")
    print(plaintext)  # bare on stdout, so scripts can capture it


@keys_app.command("list")
def keys_list(database_url: DatabaseUrlOption = None) -> None:
    """List the API keys (names, roles and prefixes; never the keys)."""
    engine = _migrated_engine(database_url)
    try:
        with Session(engine) as session:
            keys = list_keys(session)
            table = Table("Name", "Role", "Prefix", "Created", "Revoked")
            for key in keys:
                revoked = key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "-"
                table.add_row(
                    escape(key.name),
                    key.role,
                    f"pl_{key.prefix}_…",
                    key.created_at.isoformat(timespec="seconds"),
                    revoked,
                )
    finally:
        engine.dispose()
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    name: Annotated[str, typer.Argument(help="The key's name")], database_url: DatabaseUrlOption = None
) -> None:
    """Revoke an API key: requests with it are refused from now on."""
    engine = _migrated_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            revoke_key(session, name=name)
    finally:
        engine.dispose()
    console.print(f"Revoked API key {escape(repr(name))}.")


# ─── reconciliation ───────────────────────────────────────────────────────────────────────────────────


@app.command(name="reconcile")
def reconcile_command(
    campaign: Annotated[int, typer.Argument(min=0, help="The campaign's id")],
    round_id: Annotated[int | None, typer.Option("--round", min=1, help="Show this round only")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    database_url: DatabaseUrlOption = None,
    rpc_url: Annotated[
        str | None,
        typer.Option("--rpc-url", help="Node to check the mirror against (default: PLEDGELEDGER_RPC_URL)"),
    ] = None,
    no_chain: Annotated[
        bool, typer.Option("--no-chain", help="Do not check the mirror against the chain")
    ] = False,
    chain_id: Annotated[
        int | None, typer.Option("--chain-id", help="Chain of the mirror (default: the only one mirrored)")
    ] = None,
) -> None:
    """Reconcile a campaign: pledged, refunded, paid and held per token, orders against payments, invoices
    and deliveries, and the findings. With a node (--rpc-url or PLEDGELEDGER_RPC_URL, unless --no-chain)
    the SQL totals are also checked against the contract at the mirror's block.

    Exit status: 0 when no finding is an error, 1 when one is, 2 when the campaign or round is not in the
    mirror. Warnings alone (e.g. an unpaid order, an unreachable node) exit 0.
    """
    from ledger.reconcile.command import run_reconcile  # the reconciliation only loads when asked for
    from ledger.reconcile.report import ReconcileOptions

    settings = get_settings()
    engine = _migrated_engine(database_url)
    try:
        status = run_reconcile(
            engine,
            campaign_id=campaign,
            round_id=round_id,
            chain_id=chain_id,
            rpc_url=None if no_chain else (rpc_url or settings.rpc_url),
            as_json=as_json,
            options=ReconcileOptions.from_settings(settings),
            deployments_dir=settings.deployments_dir,
            out=console,
            err=err_console,
        )
    finally:
        engine.dispose()
    raise typer.Exit(status)


def main() -> None:
    """Console-script entry: run the app, turning LedgerErrors and Ctrl-C into clean exits."""
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    try:
        app()
    except LedgerError as exc:
        # One line whatever the terminal's (or log file's) width; the message as written, not as markup.
        err_console.print(f"[bold red]Error:[/bold red] {escape(str(exc))}", soft_wrap=True)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        err_console.print("[dim]Stopped.[/dim]")
        raise SystemExit(130) from None
