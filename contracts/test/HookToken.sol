// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ITokensSender
/// @notice What a holder of a {HookToken} implements to be called before its tokens move: ERC-777's
/// `IERC777Sender.tokensToSend`, without the ERC-1820 registry and the data arguments.
interface ITokensSender {
    /// @notice Called on `from` before `amount` of its tokens move to `to`; a revert here reverts the transfer.
    /// @param operator The account that asked for the transfer (the spender of a `transferFrom`).
    /// @param from The holder whose tokens move.
    /// @param to The recipient.
    /// @param amount The amount, in base units.
    function tokensToSend(address operator, address from, address to, uint256 amount) external;
}

/// @title HookToken
/// @notice A mintable ERC-20 with an ERC-777-style sender hook: a holder that registered is called back through
/// {ITokensSender-tokensToSend} before its tokens move, and a revert in the hook reverts the transfer. Tokens like
/// this (ERC-777, ERC-20s with transfer hooks) hand control to the donor in the middle of a ledger pledge, which is
/// what the re-entrancy tests need.
contract HookToken is ERC20 {
    /// @notice `holder` registered (or unregistered) its sender hook.
    event HookSet(address indexed holder, bool registered);

    uint8 private immutable _decimals;
    mapping(address holder => bool registered) private _hooked;

    /// @param name_ Token name.
    /// @param symbol_ Token symbol.
    /// @param decimals_ Token decimals.
    constructor(string memory name_, string memory symbol_, uint8 decimals_) ERC20(name_, symbol_) {
        _decimals = decimals_;
    }

    /// @notice Mint `amount` to `to`; anyone may mint on a test token.
    /// @param to Recipient.
    /// @param amount Amount in base units.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Register (or unregister) the caller's sender hook: from then on, every transfer of the caller's
    /// tokens first calls the caller's `tokensToSend`.
    /// @dev Emits {HookSet}.
    /// @param registered Whether the hook is called.
    function setHook(bool registered) external {
        _hooked[msg.sender] = registered;
        emit HookSet(msg.sender, registered);
    }

    /// @notice Whether `holder` registered its sender hook.
    /// @param holder The holder.
    /// @return registered True if transfers of its tokens call it first.
    function hasHook(address holder) external view returns (bool registered) {
        return _hooked[holder];
    }

    /// @inheritdoc ERC20
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @dev Calls the sender's hook, if it registered one, before the balances move (as ERC-777 does).
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && _hooked[from]) ITokensSender(from).tokensToSend(msg.sender, from, to, value);
        super._update(from, to, value);
    }
}
