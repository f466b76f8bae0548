// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IPledgeLedger} from "../interfaces/IPledgeLedger.sol";

/// @title PledgeBatcher
/// @notice A donor contract that pledges to the ledger many times in one transaction, so that a local chain can be
/// filled with hundreds of thousands of `Pledged` events in seconds (the indexer's throughput benchmark). Each
/// pledge is a real call to the ledger's public `pledge` or `pledgeToken`, so every event is one the ledger emits.
/// @dev Test-only: anyone may call it, and the ERC-20 it pledges must already be held by this contract.
contract PledgeBatcher {
    using SafeERC20 for IERC20;

    /// @notice A batch of zero pledges was asked for.
    error BatcherZeroCount();

    /// @notice The ETH sent is not the sum of the pledges asked for.
    /// @param expected The sum of the pledges, in wei.
    /// @param sent The ETH sent, in wei.
    error BatcherWrongValue(uint256 expected, uint256 sent);

    IPledgeLedger private immutable _ledger;

    /// @param ledger The ledger to pledge to.
    constructor(IPledgeLedger ledger) {
        _ledger = ledger;
    }

    /// @notice Pledge the ETH sent along to an open round as `count` pledges of `amount`, `amount + step`, ...
    /// wei, so that no two pledges of a batch are alike.
    /// @dev Emits `count` {IPledgeLedger-Pledged} events from the ledger. Requires `msg.value` to be the sum of
    /// the pledges, {batchTotal}.
    /// @param campaignId The campaign.
    /// @param roundId The open round.
    /// @param amount The first pledge, in wei (non-zero).
    /// @param step What each pledge adds to the one before, in wei.
    /// @param count How many pledges to make.
    function pledgeMany(uint256 campaignId, uint256 roundId, uint256 amount, uint256 step, uint256 count)
        external
        payable
    {
        uint256 expected = batchTotal(amount, step, count);
        if (msg.value != expected) revert BatcherWrongValue(expected, msg.value);
        for (uint256 i = 0; i < count; ++i) {
            _ledger.pledge{value: amount + i * step}(campaignId, roundId);
        }
    }

    /// @notice Pledge `count` pledges of `amount`, `amount + step`, ... base units of an ERC-20 held by this
    /// contract to an open round.
    /// @dev Emits `count` {IPledgeLedger-Pledged} events from the ledger. Approves the ledger for the whole
    /// batch first; the ledger's own checks apply to each pledge.
    /// @param campaignId The campaign.
    /// @param roundId The open round.
    /// @param token The ERC-20 token, accepted by the campaign.
    /// @param amount The first pledge, in base units (non-zero).
    /// @param step What each pledge adds to the one before, in base units.
    /// @param count How many pledges to make.
    function pledgeTokenMany(
        uint256 campaignId,
        uint256 roundId,
        IERC20 token,
        uint256 amount,
        uint256 step,
        uint256 count
    ) external {
        token.forceApprove(address(_ledger), batchTotal(amount, step, count));
        for (uint256 i = 0; i < count; ++i) {
            _ledger.pledgeToken(campaignId, roundId, address(token), amount + i * step);
        }
    }

    /// @notice The sum of `count` pledges of `amount`, `amount + step`, ...:
    /// `count * amount + step * count * (count - 1) / 2`.
    /// @param amount The first pledge.
    /// @param step What each pledge adds to the one before.
    /// @param count How many pledges.
    /// @return total The sum of the pledges.
    function batchTotal(uint256 amount, uint256 step, uint256 count) public pure returns (uint256 total) {
        if (count == 0) revert BatcherZeroCount();
        return count * amount + (step * count * (count - 1)) / 2;
    }
}
