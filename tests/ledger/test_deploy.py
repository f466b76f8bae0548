"""The deployment file: written and read back whole; an old, broken or foreign file is a clear error."""

import json
from pathlib import Path

import pytest

from ledger.deploy import LEDGER_VERSION, Deployment, TokenDeployment, load_deployment, write_deployment
from ledger.errors import CorruptDeploymentError, OutdatedDeploymentError
from ledger.governance.local import GovernanceDeployment
from ledger.governance.safe import SafeDeployment


def _deployment() -> Deployment:
    safes = SafeDeployment("0x" + "01" * 20, "0x" + "02" * 20, "0x" + "03" * 20, "0x" + "04" * 20)
    governance = GovernanceDeployment("0x" + "05" * 20, "0x" + "06" * 20, "0x" + "07" * 20, 172_800, safes)
    return Deployment(
        chain_id=31337,
        genesis_hash="0x" + "aa" * 32,
        ledger="0x" + "08" * 20,
        block_number=12,
        admin="0x" + "05" * 20,
        guardian="0x" + "07" * 20,
        admin_transfer_delay=86_400,
        min_supplier_delay=0,
        compiler_version="0.8.37+commit.f401782d",
        deployed_at="2026-12-06T00:00:00+00:00",
        timelock="0x" + "05" * 20,
        governance=governance,
        tokens={"ETH": TokenDeployment("ETH", "0x" + "00" * 20, 18, "0x" + "09" * 20)},
    )


def test_a_deployment_reads_back_as_written(tmp_path: Path) -> None:
    deployment = _deployment()
    write_deployment(deployment, tmp_path)
    assert load_deployment(tmp_path, 31337) == deployment
    assert json.loads((tmp_path / "31337.json").read_text())["ledger_version"] == LEDGER_VERSION


def test_a_v1_deployment_file_is_outdated_not_read() -> None:
    v1 = {"chain_id": 31337, "ledger": "0x" + "08" * 20, "admin": "0x" + "05" * 20, "tokens": {}}
    with pytest.raises(OutdatedDeploymentError, match="version 1 of the ledger contract"):
        Deployment.from_json(json.dumps(v1))


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[1, 2]",
        json.dumps({"ledger_version": LEDGER_VERSION}),
        json.dumps({**json.loads(_deployment().to_json()), "tokens": {"ETH": {"symbol": "ETH"}}}),
        json.dumps({**json.loads(_deployment().to_json()), "extra": 1}),
    ],
)
def test_a_broken_deployment_file_is_a_clear_error(tmp_path: Path, text: str) -> None:
    (tmp_path / "31337.json").write_text(text)
    with pytest.raises(CorruptDeploymentError, match=r"31337\.json"):
        load_deployment(tmp_path, 31337)
