"""Who signs: an encrypted keystore (its password from a prompt, or from the file that
``PLEDGELEDGER_KEYSTORE_PASSWORD_FILE`` names, for automation), or one of the development accounts, and those
only on a chain that is on this machine *and* has a local chain id: their keys are public.

Keys stay in memory; nothing here logs or stores them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ledger.errors import LedgerError
from ledger.networks import require_local_chain

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

PASSWORD_FILE_VARIABLE = "PLEDGELEDGER_KEYSTORE_PASSWORD_FILE"  # noqa: S105 - a variable's name


def keystore_password(keystore: Path) -> str:
    """The keystore's password: the first line of ``$PLEDGELEDGER_KEYSTORE_PASSWORD_FILE``, else asked for."""
    password_file = os.environ.get(PASSWORD_FILE_VARIABLE)
    if password_file:
        try:
            lines = Path(password_file).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise LedgerError(
                f"cannot read {PASSWORD_FILE_VARIABLE}={password_file}: {exc.strerror}"
            ) from exc
        return lines[0] if lines else ""
    return str(typer.prompt(f"Password for {keystore}", hide_input=True))


def from_keystore(keystore: Path) -> LocalAccount:
    """The account of an encrypted JSON keystore (eth-account)."""
    from eth_account import Account

    try:
        encrypted = keystore.read_text(encoding="utf-8")
    except OSError as exc:
        raise LedgerError(f"cannot read keystore {keystore}: {exc.strerror}") from exc
    password = keystore_password(keystore)
    try:
        account: LocalAccount = Account.from_key(Account.decrypt(encrypted, password))
    except (ValueError, TypeError, KeyError) as exc:
        raise LedgerError(
            f"cannot decrypt keystore {keystore}: wrong password, or not a keystore file"
        ) from exc
    return account


def dev_account(index: int, rpc_url: str, chain_id: int) -> LocalAccount:
    """Development account ``index``: only on a local chain reached on this machine."""
    require_local_chain(rpc_url, chain_id, advice="pass --keystore to sign with your own key")
    from ledger.chain import dev_accounts
    from ledger.settings import get_settings

    return dev_accounts(index + 1, get_settings().dev_mnemonic)[index]


def signer_account(keystore: Path | None, account: int, rpc_url: str, chain_id: int) -> LocalAccount:
    """The keystore's account if one is given, else development account ``account``."""
    return from_keystore(keystore) if keystore is not None else dev_account(account, rpc_url, chain_id)
