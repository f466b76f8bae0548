"""Put the contracts on a chain: ``compile`` them, and ``deploy`` them with their governance (a timelock
and Safes on a local chain, the admin and guardian given elsewhere). ``up`` deploys through the same
:func:`deploy_contracts`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from ledger.cli import context
from ledger.cli.app import RUN, app, console, err_console
from ledger.cli.options import AccountOption, KeystoreOption

if TYPE_CHECKING:
    from ledger.compiler import Build
    from ledger.deploy import Deployment


def compiled(force: bool = False) -> Build:
    """The contracts, compiled (cached: rebuilt only when a source, setting or the compiler changes)."""
    from ledger.compiler import compile_contracts

    with console.status("Compiling contracts…"):
        return compile_contracts(force=force)


def deploy_contracts(
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
    build = compiled()
    deployment = deploy_contracts(
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
    build = compiled(force)
    console.print(f"Compiled {len(build.artifacts)} contracts with solc {build.compiler_version}")
