// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Chainlink-style price feed
/// @notice The subset of Chainlink's `AggregatorV3Interface` that the ledger reads.
interface AggregatorV3Interface {
    /// @notice Number of decimals of the answer (8 for USD pairs on Chainlink).
    function decimals() external view returns (uint8);

    /// @notice Human-readable pair, e.g. "ETH / USD".
    function description() external view returns (string memory);

    /// @notice The latest answer and when it was last updated.
    /// @return roundId The feed's round id.
    /// @return answer The price, scaled by `decimals()`.
    /// @return startedAt When the round started.
    /// @return updatedAt When the answer was last updated (seconds since epoch).
    /// @return answeredInRound Deprecated; kept for interface compatibility.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}
