"""The command line as a whole: help grouped by role without type placeholders, no heavy import before a
command needs it, the running ``up`` found by the other commands, and mistakes that are one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer.main
from typer.testing import CliRunner

from ledger.cli import app, context
from ledger.node import free_port
from ledger.upstate import STATE_FILE, UpState, running_up
from tests.cli.support import PLEDGELEDGER, Cli
from tests.e2e.support import UpProcess

#: What the help must not load: the chain client, the database layer, the API.
HEAVY = ("web3", "eth_account", "sqlalchemy", "alembic", "api", "fastapi", "uvicorn", "httpx")


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command's path, groups included (Typer's own click: duck-typed)."""
    for name, command in group.commands.items():
        yield (*path, name)
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))


def test_every_help_is_free_of_python_type_placeholders() -> None:
    paths = list(_commands(typer.main.get_command(app)))
    assert ("campaign", "create") in paths and ("pay",) in paths and ("refund", "claim") in paths
    runner = CliRunner()
    for path in [(), *paths]:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (path, result.output)
        for placeholder in ("<bool>", "<str>", "<int", "<float", "<Path>"):
            assert placeholder not in result.output, (path, placeholder)
        assert "Traceback" not in result.output, path


def test_root_help_groups_the_commands_by_role() -> None:
    output = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    for panel in ("Run the system", "Admin", "Campaign manager", "Auditor", "Donor"):
        assert panel in output, panel
    by_role = output[output.index("By role") :]
    for role, command in [
        ("admin", "token accept"),
        ("guardian", "campaign pause"),
        ("manager", "refund push"),
        ("auditor", "attest"),
        ("donor", "pledge"),
        ("anyone", "campaign show"),
    ]:
        line = next(text for text in by_role.splitlines() if text.strip().startswith(role))
        assert command in line, (role, line)


def test_help_imports_no_chain_database_or_api_module() -> None:
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from ledger.cli import app\n"
        "for args in (['--help'], ['campaign', '--help'], ['pay', '--help'], ['attest', '--help']):\n"
        "    assert CliRunner().invoke(app, args).exit_code == 0\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}))"
    )
    loaded = json.loads(
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
        .stdout.strip()
        .replace("'", '"')
    )
    assert not set(HEAVY) & set(loaded), set(HEAVY) & set(loaded)


# ─── the running up ─────────────────────────────────────────────────────────────────────────────────────


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("PLEDGELEDGER_RPC_URL", "PLEDGELEDGER_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _state(pid: int) -> UpState:
    return UpState(
        pid=pid,
        rpc_url="http://127.0.0.1:18545",
        database_url="sqlite:////tmp/up-of-test.db",
        api_url="http://127.0.0.1:18000",
        chain_id=31337,
    )


def test_commands_default_to_the_running_up_and_ignore_a_stale_one(in_tmp: Path) -> None:
    assert running_up() is None
    _state(os.getpid()).write()
    assert context.chain_url(None) == "http://127.0.0.1:18545"
    assert context.database_url(None) == "sqlite:////tmp/up-of-test.db"
    assert context.chain_url("http://127.0.0.1:9999") == "http://127.0.0.1:9999"  # the flag wins
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    _state(dead.pid).write()  # its process is gone: stale
    assert running_up() is None
    assert context.chain_url(None, required=False) is None


def test_up_writes_its_state_for_the_other_commands_and_removes_it(tmp_path: Path) -> None:
    up = UpProcess(["--chain-port", str(free_port())], cwd=tmp_path)
    try:
        up.wait_for("Serving", timeout=240)
        state = json.loads((tmp_path / STATE_FILE).read_text())
        assert state["rpc_url"] == up.rpc_url and state["api_url"] == f"http://127.0.0.1:{up.port}"
        cli = Cli(tmp_path)
        key = cli.ok("keys", "create", "--role", "auditor", "--name", "auditor").stdout.strip()
        history = httpx.get(
            f"{state['api_url']}/api/v1/suppliers", headers={"Authorization": f"Bearer {key}"}, timeout=30
        )
        assert history.status_code == 200, history.text  # the key is in up's database, so up's API takes it
        shown = cli.run("reconcile", "1")
        assert "run index" not in shown.stdout + shown.stderr
    finally:
        up.process.send_signal(2)
        up.wait(60)
        up.stop()
    assert not (tmp_path / STATE_FILE).exists()


def test_up_on_a_chain_port_in_use_refuses_and_writes_nothing(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = Cli(tmp_path).run("up", "--chain-port", str(port), "--port", str(free_port()))
    assert result.returncode == 1, result
    assert f"port {port} on 127.0.0.1 is in use: pass --chain-port" in result.stderr
    assert not (tmp_path / "deployments").exists() and not (tmp_path / STATE_FILE).exists()


# ─── mistakes: one line, quickly ────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["campaign", "show", "1", "--rpc-url", "localhost:8545"], "http://"),
        (["index", "--once", "--rpc-url", "http://127.0.0.1:1"], "127.0.0.1:1"),
        (["reconcile", "1", "--database-url", "postgresql+psycopg://127.0.0.1:1/nothing"], "127.0.0.1"),
        (["campaign", "show", "1", "--rpc-url", "http://127.0.0.1:1"], "127.0.0.1:1"),
    ],
)
def test_a_wrong_url_is_one_line_within_seconds(tmp_path: Path, args: list[str], says: str) -> None:
    result = subprocess.run(
        [PLEDGELEDGER, *args], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0
    assert result.stderr.startswith("Error: ") and says in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
