"""The stage the refusal and dry-run tests share: one ``up`` per module, with a campaign set up through the
command line (tests/cli/support.py ``Stage``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ledger.node import free_port
from tests.cli.support import MANAGER, Cli, Stage, World, create_campaign, records_api
from tests.e2e.support import UpProcess

#: The goal of the campaign's first round: one ETH pledge (≈ 2,000 USD on the mock feed) meets it.
FIRST_GOAL_USD = "1,000"


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    """``up`` on Anvil in a fresh directory; the board creates a campaign managed by account 1 (supplier
    delay 2 days), accepts ETH, USDC and DAI in it and appoints account 2 auditor, each through the
    timelock; the manager opens a 14-day round with a goal of 1,000 USD. ``up`` is always stopped."""
    tmp = tmp_path_factory.mktemp("stage")
    up = UpProcess(["--chain-port", str(free_port())], cwd=tmp)
    try:
        up.wait_for("Serving", timeout=240)
        cli = Cli(tmp)
        world = World(up.rpc_url, tmp / "deployments")
        api = records_api(cli, f"http://127.0.0.1:{up.port}")
        try:
            campaign = create_campaign(cli, world, tmp, "ETH", "USDC", "DAI")
            cli.send(
                "round", "open", str(campaign), "--end", "+14d", "--goal-usd", FIRST_GOAL_USD,
                "--account", str(MANAGER),
            )  # fmt: skip
            yield Stage(tmp, cli, world, api, campaign)
        finally:
            api.close()
    finally:
        up.stop()
