// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";

/// @title MockAggregator
/// @notice A settable Chainlink-style price feed for local chains.
/// @dev Answer, update time and round id share one slot, so reading the feed costs one storage load.
contract MockAggregator is AggregatorV3Interface {
    /// @notice The answer changed.
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    uint8 private immutable _decimals;
    string private _description;
    int128 private _answer;
    uint64 private _updatedAt;
    uint64 private _roundId;

    /// @param decimals_ Decimals of the answer.
    /// @param description_ The pair, e.g. "ETH / USD".
    /// @param initialAnswer The first answer, stamped with the current block time.
    constructor(uint8 decimals_, string memory description_, int256 initialAnswer) {
        _decimals = decimals_;
        _description = description_;
        _set(initialAnswer, block.timestamp);
    }

    /// @notice Publish a new answer stamped with the current block time.
    /// @param answer The new price.
    function setAnswer(int256 answer) external {
        _set(answer, block.timestamp);
    }

    /// @notice Publish an answer with an explicit update time (to simulate a stale feed).
    /// @param answer The price.
    /// @param updatedAt The update time.
    function setAnswerAt(int256 answer, uint256 updatedAt) external {
        _set(answer, updatedAt);
    }

    /// @inheritdoc AggregatorV3Interface
    function decimals() external view returns (uint8) {
        return _decimals;
    }

    /// @inheritdoc AggregatorV3Interface
    function description() external view returns (string memory) {
        return _description;
    }

    /// @inheritdoc AggregatorV3Interface
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return (_roundId, _answer, _updatedAt, _updatedAt, _roundId);
    }

    function _set(int256 answer, uint256 updatedAt) private {
        _answer = int128(answer);
        _updatedAt = uint64(updatedAt);
        _roundId += 1;
        emit AnswerUpdated(answer, _roundId, updatedAt);
    }
}
