"""Slither on the production contracts: no High or Medium finding, and every lower one explained.

A false positive is suppressed where it occurs, with ``// slither-disable-next-line <check>`` under a
comment saying why it is false; a Low/Informational finding that is kept needs a one-line reason in
``devtools.analysis.ACCEPTED_FINDINGS``. See ``scripts/slither.py`` for the full report.
"""

import re
from pathlib import Path

import pytest

from devtools.analysis import (
    ACCEPTED_FINDINGS,
    Finding,
    all_detectors,
    analysis_input,
    format_table,
    is_production,
    run_slither,
)
from ledger.paths import CONTRACTS_DIR, PROJECT_ROOT

DIRECTIVE = re.compile(r"^\s*//\s*slither-disable-next-line\s*([a-zA-Z0-9_,-]*)")


def _report(findings: list[Finding]) -> str:
    return format_table(findings) + "\n\n" + "\n".join(f"[{f.check}] {f.description}" for f in findings)


@pytest.fixture(scope="module")
def findings() -> list[Finding]:
    return run_slither(include_suppressed=True)


def test_no_high_or_medium_finding(findings: list[Finding]) -> None:
    blocking = [f for f in findings if f.blocking]
    assert not blocking, (
        "Slither reports High/Medium findings: fix the contract, or if one is a false positive, suppress it "
        "with a reasoned `// slither-disable-next-line <check>`:\n" + _report(blocking)
    )


def test_every_kept_lower_finding_is_explained(findings: list[Finding]) -> None:
    unexplained = [f for f in findings if f.unexplained]
    assert not unexplained, (
        "New Low/Informational/Optimization findings: fix them, or explain each check in "
        "devtools.analysis.ACCEPTED_FINDINGS:\n" + _report(unexplained)
    )


def test_allow_list_has_no_stale_entries(findings: list[Finding]) -> None:
    used = {f.check for f in findings if f.justification is not None}
    stale = sorted(set(ACCEPTED_FINDINGS) - used)
    assert not stale, f"no finding uses these ACCEPTED_FINDINGS entries any more; remove them: {stale}"


def test_the_ledger_itself_is_analysed(findings: list[Finding]) -> None:
    # The reviewed suppressions are in the ledger: if it dropped out of the analysis, they would vanish.
    in_ledger = {f.check for f in findings if f.suppressed and "contracts/PledgeLedger.sol" in f.files}
    assert in_ledger, "no suppressed finding in contracts/PledgeLedger.sol: is it still analysed?"
    outside = [f for f in findings if f.files and not any(is_production(PROJECT_ROOT / p) for p in f.files)]
    assert not outside, "findings about dependencies or test doubles leaked in:\n" + _report(outside)
    names = {Path(name).relative_to(PROJECT_ROOT).as_posix() for name in analysis_input()["sources"]}
    assert {"contracts/PledgeLedger.sol", "contracts/interfaces/IPledgeLedger.sol"} <= names
    assert not any(name.startswith("contracts/test/") for name in names)


def test_every_suppression_names_a_detector_and_gives_a_reason() -> None:
    known = {detector.ARGUMENT for detector in all_detectors()}
    problems: list[str] = []
    for path in sorted(CONTRACTS_DIR.rglob("*.sol")):
        if not is_production(path):
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            match = DIRECTIVE.match(line)
            if not match:
                continue
            where = f"{path.relative_to(PROJECT_ROOT)}:{number}"
            checks = [c for c in match.group(1).split(",") if c]
            if not checks or "all" in checks:
                problems.append(f"{where}: name the check(s) suppressed, not none or `all`")
            problems.extend(f"{where}: {c!r} is not a Slither detector" for c in checks if c not in known)
            previous = lines[number - 2].strip() if number > 1 else ""
            if not previous.startswith("//") or DIRECTIVE.match(previous):
                problems.append(f"{where}: put a comment saying why it is a false positive on the line above")
    assert not problems, "\n".join(problems)


VAULT = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
contract Vault {
    mapping(address => uint256) public balances;
    function deposit() external payable { balances[msg.sender] += msg.value; }
    function withdraw() external {
        uint256 amount = balances[msg.sender];
        (bool ok,) = msg.sender.call{value: amount}("");
        require(ok, "send");
        balances[msg.sender] = 0;
    }
}
"""

PAYOUT = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
contract Payout {
    function pay(address payable to) external {
        // Fine here: a test of the suppression comment.
        // slither-disable-next-line arbitrary-send-eth
        to.transfer(address(this).balance);
    }
}
"""

DRAIN = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
contract Drain {
    function drain(address payable to) external { to.transfer(address(this).balance); }
}
"""


def test_analysis_catches_a_bug_and_scopes_findings(tmp_path: Path) -> None:
    """A control: a reentrant vault is blocking, a suppressed finding is marked, a test double is ignored."""
    contracts = tmp_path / "contracts"
    (contracts / "test").mkdir(parents=True)
    (contracts / "Vault.sol").write_text(VAULT)
    (contracts / "Payout.sol").write_text(PAYOUT)
    (contracts / "test" / "Drain.sol").write_text(DRAIN)

    found = run_slither(contracts_dir=contracts, include_suppressed=True)

    reentrancy = [f for f in found if f.check == "reentrancy-eth"]
    assert reentrancy, _report(found)
    assert reentrancy[0].blocking
    assert reentrancy[0].location.startswith("contracts/Vault.sol#")
    suppressed = [f for f in found if f.check == "arbitrary-send-eth"]
    assert [f.location.split("#")[0] for f in suppressed] == ["contracts/Payout.sol"], _report(found)
    assert suppressed[0].suppressed
    assert not suppressed[0].blocking
    assert all("contracts/test/Drain.sol" not in f.files for f in found), _report(found)
    assert suppressed[0].id not in {f.id for f in run_slither(contracts_dir=contracts)}
