// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";

import {ITokensSender} from "./HookToken.sol";

/// @title HookAttacker
/// @notice A contract account for attack tests: its owner makes it call anything (so it can be a campaign's manager,
/// a donor, a guardian), and it can be armed with one call to make from inside a {HookToken} sender hook, that is,
/// in the middle of a transfer of its own tokens, such as the one inside its own ledger pledge.
/// @dev Test-only. Every call it makes bubbles the callee's revert data up unchanged, so a test sees the ledger's
/// own custom error.
contract HookAttacker is ITokensSender {
    /// @notice `caller` is not this contract's owner.
    /// @param caller The account that tried.
    error HookAttackerUnauthorized(address caller);

    /// @notice The armed call was made from inside a sender hook and did not revert.
    /// @param target The contract called.
    /// @param result What it returned.
    event HookCallMade(address indexed target, bytes result);

    address private immutable _owner;
    address private _hookTarget;
    bytes private _hookData;

    constructor() {
        _owner = msg.sender;
    }

    /// @notice Call `target` with `data` and the ETH sent along, as this contract.
    /// @dev Requires the owner. Reverts with the callee's revert data if the call fails.
    /// @param target The contract to call.
    /// @param data The calldata.
    /// @return result What the call returned.
    function execute(address target, bytes calldata data) external payable returns (bytes memory result) {
        if (msg.sender != _owner) revert HookAttackerUnauthorized(msg.sender);
        return Address.functionCallWithValue(target, data, msg.value);
    }

    /// @notice Arm the hook: the next time this contract's tokens move, call `target` with `data` first (once).
    /// @dev Requires the owner. A `target` of address(0) disarms the hook.
    /// @param target The contract to call from inside the hook.
    /// @param data The calldata.
    function armHook(address target, bytes calldata data) external {
        if (msg.sender != _owner) revert HookAttackerUnauthorized(msg.sender);
        _hookTarget = target;
        _hookData = data;
    }

    /// @inheritdoc ITokensSender
    /// @dev Makes the armed call, if any, and disarms the hook; a revert of that call reverts the transfer.
    /// Emits {HookCallMade} when the call succeeds.
    function tokensToSend(address, address, address, uint256) external {
        address target = _hookTarget;
        if (target == address(0)) return;
        bytes memory data = _hookData;
        delete _hookTarget;
        delete _hookData;
        bytes memory result = Address.functionCall(target, data);
        emit HookCallMade(target, result);
    }

    /// @notice Accept ETH (refunds, payments).
    receive() external payable {}
}
