// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title MockNoReturnToken
/// @notice A USDT-style token whose `transfer`, `transferFrom` and `approve` return nothing, for checking that
/// the ledger moves such tokens through SafeERC20.
contract MockNoReturnToken {
    /// @notice ERC-20 Transfer event.
    event Transfer(address indexed from, address indexed to, uint256 value);
    /// @notice ERC-20 Approval event.
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /// @notice Token name.
    string public name;
    /// @notice Token symbol.
    string public symbol;
    /// @notice Token decimals.
    uint8 public immutable decimals;
    /// @notice Total supply.
    uint256 public totalSupply;
    /// @notice Balance per account.
    mapping(address account => uint256) public balanceOf;
    /// @notice Allowance per owner and spender.
    mapping(address owner => mapping(address spender => uint256)) public allowance;

    /// @param name_ Token name.
    /// @param symbol_ Token symbol.
    /// @param decimals_ Token decimals.
    constructor(string memory name_, string memory symbol_, uint8 decimals_) {
        name = name_;
        symbol = symbol_;
        decimals = decimals_;
    }

    /// @notice Mint `amount` to `to`; anyone may mint on a test token.
    /// @param to Recipient.
    /// @param amount Amount in base units.
    function mint(address to, uint256 amount) external {
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    /// @notice Approve `spender` for `amount`; returns nothing, like USDT.
    /// @param spender Spender.
    /// @param amount Allowance.
    function approve(address spender, uint256 amount) external {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
    }

    /// @notice Transfer `amount` to `to`; returns nothing and reverts on failure, like USDT.
    /// @param to Recipient.
    /// @param amount Amount in base units.
    function transfer(address to, uint256 amount) external {
        _move(msg.sender, to, amount);
    }

    /// @notice Transfer `amount` from `from` to `to` using an allowance; returns nothing, like USDT.
    /// @param from Owner.
    /// @param to Recipient.
    /// @param amount Amount in base units.
    function transferFrom(address from, address to, uint256 amount) external {
        uint256 allowed = allowance[from][msg.sender];
        require(allowed >= amount, "allowance");
        if (allowed != type(uint256).max) allowance[from][msg.sender] = allowed - amount;
        _move(from, to, amount);
    }

    function _move(address from, address to, uint256 amount) private {
        require(balanceOf[from] >= amount, "balance");
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }
}
