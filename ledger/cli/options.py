"""Options shared by several commands, defined once so that they read the same everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

RpcUrlOption = Annotated[
    str | None,
    typer.Option(
        "--rpc-url",
        metavar="URL",
        help="JSON-RPC endpoint (default: PLEDGELEDGER_RPC_URL, else the running `up`'s chain)",
        show_default=False,
    ),
]
DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        metavar="URL",
        help="Database (default: PLEDGELEDGER_DATABASE_URL, else the running `up`'s, else SQLite here)",
        show_default=False,
    ),
]
KeystoreOption = Annotated[
    Path | None,
    typer.Option(
        "--keystore",
        metavar="FILE",
        help="Encrypted JSON keystore to sign with (password asked, or read from the file named by "
        "PLEDGELEDGER_KEYSTORE_PASSWORD_FILE)",
        show_default=False,
    ),
]
AccountOption = Annotated[
    int | None,
    typer.Option(
        "--account",
        min=0,
        max=99,
        metavar="N",
        help="Sign with development account N (local chains on this machine only)",
        show_default=False,
    ),
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Send without asking to confirm")]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Simulate (eth_call) and say what would happen; send nothing")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as one JSON object")]
UnsignedOption = Annotated[
    Path | None,
    typer.Option(
        "--unsigned",
        metavar="FILE",
        help="Write the transaction(s) as a Safe Transaction Builder batch instead of signing",
        show_default=False,
    ),
]
CampaignArgument = Annotated[
    int, typer.Argument(min=1, metavar="CAMPAIGN", help="The campaign's id", show_default=False)
]
RoundArgument = Annotated[
    int, typer.Argument(min=1, metavar="ROUND", help="The round's number in its campaign", show_default=False)
]
