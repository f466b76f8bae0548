// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MockFeeToken
/// @notice An ERC-20 that burns a fee (in basis points) from every transfer between two accounts, so the
/// recipient receives less than the amount sent, like fee-on-transfer tokens on mainnet.
contract MockFeeToken is ERC20 {
    uint8 private immutable _decimals;
    /// @notice Fee charged on each transfer, in basis points of the amount.
    uint256 public immutable feeBps;

    /// @param name_ Token name.
    /// @param symbol_ Token symbol.
    /// @param decimals_ Token decimals.
    /// @param feeBps_ Fee in basis points (100 = 1%).
    constructor(string memory name_, string memory symbol_, uint8 decimals_, uint256 feeBps_) ERC20(name_, symbol_) {
        _decimals = decimals_;
        feeBps = feeBps_;
    }

    /// @notice Mint `amount` to `to`; anyone may mint on a test token.
    /// @param to Recipient.
    /// @param amount Amount in base units.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @inheritdoc ERC20
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @dev Burns the fee from the sender's side of every transfer that is not a mint or a burn.
    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) {
            super._update(from, to, value);
            return;
        }
        uint256 fee = (value * feeBps) / 10_000;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
