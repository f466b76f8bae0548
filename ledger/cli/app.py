"""The ``pledgeledger`` application: the root command, its consoles, the help panels that group the commands
by who uses them, and the entry point that turns every error a user can act on into one line.

Command modules import only Typer and Rich at module level; web3, SQLAlchemy, Alembic and the API load inside
the commands that need them, so that ``pledgeledger --help`` answers at once.
"""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

app = typer.Typer(
    name="pledgeledger",
    help="Crowdfunding ledger for humanitarian procurement: pledges on chain, reconciled in SQL.",
    epilog=(
        "**By role**\n\n"
        "*admin*: campaign create · campaign set-manager · campaign cancel · token accept · role grant · "
        "timelock execute · safe execute\n\n"
        "*guardian*: campaign pause · campaign unpause · campaign cancel · supplier revoke\n\n"
        "*manager*: round open · round close · supplier approve · pay · refund push\n\n"
        "*auditor*: reconcile · attest\n\n"
        "*donor*: pledge · refund claim\n\n"
        "*anyone*: campaign show · round close (after its end) · refund push\n\n"
        "Every on-chain command previews and asks first; --dry-run, --json, --unsigned FILE."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    add_completion=False,
)
console = Console(soft_wrap=True)  # a command to copy stays on one line
err_console = Console(stderr=True, soft_wrap=True)

#: Help panels, by who uses the commands.
RUN = "Run the system"
ADMIN = "Admin (the organisation, through its timelock)"
GUARDIAN = "Guardian (immediate, protective)"
MANAGER = "Campaign manager"
AUDITOR = "Auditor"
DONOR = "Donor"
ANYONE = "Anyone"


def _hide_flag_placeholders() -> None:
    """Typer labels an option or argument with its Python type (``--yes <bool>``, ``--rpc-url <str>``): show
    flags bare, and a value by what it is (``URL``, ``N``) unless the option names its metavar."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        if self.is_flag:
            return None
        text = shown(self, ctx)
        if self.metavar is None and text and text.startswith("<"):
            kind, _, rest = text[1:].partition(">")
            named = self.opts[0].lstrip("-").rsplit("-", 1)[-1].upper()
            number = "N" if kind.startswith(("int", "float")) else None
            word = {"str": named, "Path": "PATH"}.get(kind, number)
            if word is not None:
                return word + rest
        return text

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]

    from typer.core import TyperArgument

    shown_argument = TyperArgument.display_type_rich

    def argument_type_rich(self: TyperArgument, ctx: Any) -> str | None:
        """An argument's name says what it is (CAMPAIGN, ORDER): keep only its range, if any."""
        text = shown_argument(self, ctx)
        if text and text.startswith("<"):
            return text.partition(">")[2].strip() or None
        return text

    TyperArgument.display_type_rich = argument_type_rich  # type: ignore[method-assign,assignment]


_hide_flag_placeholders()


def _raise_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry: run the app, turning LedgerErrors and Ctrl-C into clean exits."""
    from ledger.errors import LedgerError  # light: no third-party imports

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
