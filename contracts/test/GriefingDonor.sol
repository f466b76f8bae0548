// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IPledgeLedger} from "../interfaces/IPledgeLedger.sol";

/// @title GriefingDonor
/// @notice A donor contract that pledges ETH and then griefs whoever sends it ETH back: it burns all the gas it is
/// given, or reverts with a return bomb, a revert payload as large as its gas can pay for, which costs a caller
/// that copies it at least as much again. It tests that a pushed refund batch survives such a donor.
/// @dev Test-only: anyone may call it.
contract GriefingDonor {
    /// @notice What happens when ETH arrives.
    enum Mode {
        BurnGas,
        ReturnBomb
    }

    /// @dev 768 squared: the memory cost of `w` words is `3w + w²/512`, so the most words `g` gas pays for is
    /// `sqrt(768² + 512g) − 768`.
    uint256 private constant _768_SQUARED = 589_824;

    /// @dev Gas kept back from the payload for the code around it.
    uint256 private constant _RESERVE = 1_000;

    IPledgeLedger private immutable _ledger;
    Mode private _mode;

    /// @param ledger The ledger to pledge to.
    /// @param mode What to do when ETH arrives.
    constructor(IPledgeLedger ledger, Mode mode) {
        _ledger = ledger;
        _mode = mode;
    }

    /// @notice Choose what happens when ETH arrives.
    /// @param mode Burn all the gas, or revert with a return bomb.
    function setMode(Mode mode) external {
        _mode = mode;
    }

    /// @notice Pledge the ETH sent along to the ledger.
    /// @param campaignId The campaign.
    /// @param roundId The round.
    function pledge(uint256 campaignId, uint256 roundId) external payable {
        _ledger.pledge{value: msg.value}(campaignId, roundId);
    }

    /// @notice The size of the revert payload this contract returns when it receives ETH with `gas` gas.
    /// @param gas The gas left when the payload is sized.
    /// @return size The payload's size in bytes.
    function bombSize(uint256 gas) public pure returns (uint256 size) {
        uint256 budget = gas > _RESERVE ? gas - _RESERVE : 0;
        return (Math.sqrt(_768_SQUARED + 512 * budget) - 768) * 32;
    }

    /// @notice Grief the sender: see {Mode}.
    receive() external payable {
        if (_mode == Mode.BurnGas) {
            assembly {
                invalid() // consumes all the gas the call was given
            }
        }
        uint256 size = bombSize(gasleft());
        assembly {
            revert(0, size) // the memory expansion takes (almost) all the gas left
        }
    }
}
