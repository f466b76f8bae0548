"""Options shared by several commands, defined once so that they read the same everywhere; and
:class:`Sending`, what every on-chain command is told about how to send, built once from those options by
the :func:`sends` decorator."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any

import typer


def _url_option(flag: str, help_text: str) -> Any:
    return typer.Option(flag, metavar="URL", help=help_text, show_default=False)


RpcUrlOption = Annotated[
    str | None,
    _url_option(
        "--rpc-url", "JSON-RPC endpoint (default: PLEDGELEDGER_RPC_URL, else the running `up`'s chain)"
    ),
]
DatabaseUrlOption = Annotated[
    str | None,
    _url_option(
        "--database-url",
        "Database (default: PLEDGELEDGER_DATABASE_URL, else the running `up`'s, else SQLite here)",
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


@dataclass(frozen=True)
class Sending:
    """How an on-chain command reaches the chain and what it does with its plan: the node, who signs (a
    keystore, else a development account), and whether it asks, only simulates, prints JSON or writes the
    transactions for a Safe's owners (``unsigned``) instead of signing."""

    rpc_url: str | None = None
    keystore: Path | None = None
    account: int | None = None
    yes: bool = False
    dry_run: bool = False
    as_json: bool = False
    unsigned: Path | None = None


#: The command-line option of each field of :class:`Sending`, in the order the help lists them.
_SENDING_OPTIONS: dict[str, Any] = {
    "rpc_url": RpcUrlOption,
    "keystore": KeystoreOption,
    "account": AccountOption,
    "yes": YesOption,
    "dry_run": DryRunOption,
    "as_json": JsonOption,
    "unsigned": UnsignedOption,
}
assert list(_SENDING_OPTIONS) == [f.name for f in fields(Sending)]

Command = Callable[..., None]


def sends(*, unsigned: bool = True) -> Callable[[Command], Command]:
    """Give an on-chain command the shared options (``--rpc-url``, ``--keystore``, ``--account``, ``--yes``,
    ``--dry-run``, ``--json`` and, unless ``unsigned`` is false, ``--unsigned``) in place of its parameter
    ``sending: Sending``, which it receives built from them. Placed under ``@app.command``."""

    def decorate(command: Command) -> Command:
        signature = inspect.signature(command, eval_str=True)
        own = [p for p in signature.parameters.values() if p.name != "sending"]
        if len(own) == len(signature.parameters):
            raise TypeError(f"{command.__name__} takes no parameter `sending: Sending`")
        defaults = Sending()
        shared = [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=getattr(defaults, name),
                annotation=option,
            )
            for name, option in _SENDING_OPTIONS.items()
            if unsigned or name != "unsigned"
        ]

        @functools.wraps(command)
        def with_sending(**given: Any) -> None:
            options = {p.name: given.pop(p.name) for p in shared}
            command(**given, sending=Sending(**options))

        parameters = [*own, *shared]
        # What Typer reads: the command's own parameters, then the shared options, annotated as objects.
        with_sending.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        with_sending.__annotations__ = {p.name: p.annotation for p in parameters}
        return with_sending

    return decorate
