// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IPledgeLedger} from "../interfaces/IPledgeLedger.sol";

/// @title RejectingDonor
/// @notice A donor contract that pledges ETH but refuses incoming ETH, or re-enters the ledger when paid, to test
/// that pushed refunds are deferred and that re-entrancy is blocked.
contract RejectingDonor {
    /// @notice What to do when ETH arrives.
    enum Mode {
        Reject,
        Reenter
    }

    IPledgeLedger private immutable _ledger;
    Mode private _mode;
    uint256 private _campaignId;
    uint256 private _roundId;

    /// @param ledger The ledger to pledge to.
    constructor(IPledgeLedger ledger) {
        _ledger = ledger;
    }

    /// @notice Choose what happens when ETH arrives.
    /// @param mode Reject outright, or try to claim a refund again.
    function setMode(Mode mode) external {
        _mode = mode;
    }

    /// @notice Pledge the ETH sent along to the ledger.
    /// @param campaignId The campaign.
    /// @param roundId The round.
    function pledge(uint256 campaignId, uint256 roundId) external payable {
        _campaignId = campaignId;
        _roundId = roundId;
        _ledger.pledge{value: msg.value}(campaignId, roundId);
    }

    /// @notice Claim this contract's ETH refund.
    function claim() external {
        _ledger.claimRefund(_campaignId, _roundId, address(0));
    }

    receive() external payable {
        if (_mode == Mode.Reject) revert("no ETH please");
        _ledger.claimRefund(_campaignId, _roundId, address(0));
    }
}
