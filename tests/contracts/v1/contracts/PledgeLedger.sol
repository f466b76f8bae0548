// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {AggregatorV3Interface} from "./interfaces/AggregatorV3Interface.sol";
import {IPledgeLedger} from "./interfaces/IPledgeLedger.sol";

/// @title PledgeLedger
/// @notice Escrow and public record of pledges, refunds and supplier payments for humanitarian campaigns.
/// @dev Storage is laid out for the pledge hot path: a pledge reads one slot of token config and one of round
/// state, and writes the round slot, one slot of round-per-token totals and the donor's own slot. Campaign-wide
/// totals are folded in when a round closes, over the campaign's tokens (at most `MAX_TOKENS`).
/// Uses the storage-based ReentrancyGuard, not the transient one, so the contract runs on pre-Cancun chains
/// (Ganache) as well.
contract PledgeLedger is IPledgeLedger, AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice Role of the auditors who may attest reconciliation reports.
    bytes32 public constant AUDITOR_ROLE = keccak256("AUDITOR_ROLE");

    /// @notice Most tokens a campaign can accept; bounds the loops that settle a round or cancel a campaign.
    uint256 public constant MAX_TOKENS = 8;

    /// @notice Most donors a single {pushRefunds} call can serve.
    uint256 public constant MAX_REFUND_BATCH = 100;

    /// @dev USD amounts carry 8 decimals, like Chainlink's USD feeds.
    uint8 private constant _USD_DECIMALS = 8;

    /// @dev Most decimals a token or a feed may have.
    uint8 private constant _MAX_DECIMALS = 36;

    struct CampaignData {
        address manager;
        uint32 roundCount;
        bool cancelled;
    }

    struct RoundTokenTotals {
        uint128 pledged;
        uint128 refunded;
    }

    /// @dev A campaign's ledger for one token. `closedPledged` and `spendable` grow when rounds close;
    /// `refundPool` / `refundBase` are fixed at cancellation to share the unspent funds pro rata. Fields are
    /// paired so that refunds and disbursements, which donors and managers repeat, update slots that are
    /// already non-zero: the one-off cost of fresh slots falls on the manager's first close of a round.
    struct CampaignTokenLedger {
        uint128 closedPledged;
        uint128 refunded;
        uint128 spendable;
        uint128 disbursed;
        uint128 refundPool;
        uint128 refundBase;
    }

    uint256 private _campaignCount;
    mapping(uint256 campaignId => CampaignData) private _campaigns;
    mapping(uint256 campaignId => bytes32) private _metadataHashes;
    // Filled through a storage pointer (`tokens.push(token)` in acceptToken), which Slither does not follow.
    // slither-disable-next-line uninitialized-state
    mapping(uint256 campaignId => address[]) private _campaignTokens;
    mapping(uint256 campaignId => mapping(address token => TokenConfig)) private _tokenConfigs;
    mapping(uint256 campaignId => mapping(uint256 roundId => Round)) private _rounds;
    mapping(uint256 campaignId => mapping(uint256 roundId => mapping(address token => RoundTokenTotals))) private
        _roundTotals;
    mapping(
        uint256 campaignId => mapping(uint256 roundId => mapping(address token => mapping(address donor => uint256)))
    ) private _pledges;
    mapping(uint256 campaignId => mapping(address token => CampaignTokenLedger)) private _ledgers;
    mapping(uint256 campaignId => mapping(address supplier => bytes32 recordHash)) private _suppliers;
    mapping(bytes32 attestationKey => uint256 timestamp) private _attestations;

    /// @param admin The organisation's account: creates campaigns, accepts tokens and grants the auditor role.
    constructor(address admin) {
        if (admin == address(0)) revert LedgerZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ─── Campaigns (admin) ───────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPledgeLedger
    function createCampaign(address manager, string calldata beneficiary, bytes32 metadataHash)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
        returns (uint256 campaignId)
    {
        if (manager == address(0)) revert LedgerZeroAddress();
        campaignId = ++_campaignCount;
        _campaigns[campaignId].manager = manager;
        _metadataHashes[campaignId] = metadataHash;
        emit CampaignCreated(campaignId, manager, beneficiary, metadataHash);
    }

    /// @inheritdoc IPledgeLedger
    function acceptToken(uint256 campaignId, address token, address feed, uint32 maxStaleness)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        _liveCampaign(campaignId);
        if (feed == address(0)) revert LedgerZeroAddress();
        if (maxStaleness == 0) revert LedgerZeroAmount();
        uint8 tokenDecimals = token == address(0) ? 18 : IERC20Metadata(token).decimals();
        uint8 feedDecimals = AggregatorV3Interface(feed).decimals();
        uint256 digits = uint256(tokenDecimals) + feedDecimals;
        // Beyond 36 decimals, amounts capped at 2**128 base units (~3.4e38) would not hold a useful pledge.
        if (digits < _USD_DECIMALS || tokenDecimals > _MAX_DECIMALS || feedDecimals > _MAX_DECIMALS) {
            revert LedgerUnsupportedDecimals(token, tokenDecimals, feedDecimals);
        }
        if (!_tokenConfigs[campaignId][token].accepted) {
            address[] storage tokens = _campaignTokens[campaignId];
            if (tokens.length >= MAX_TOKENS) revert LedgerTooManyTokens(campaignId, MAX_TOKENS);
            tokens.push(token);
        }
        _tokenConfigs[campaignId][token] = TokenConfig({
            feed: feed,
            tokenDecimals: tokenDecimals,
            scaleExponent: uint8(digits - _USD_DECIMALS),
            maxStaleness: maxStaleness,
            accepted: true
        });
        emit TokenAccepted(campaignId, token, feed, tokenDecimals, feedDecimals, maxStaleness);
    }

    /// @inheritdoc IPledgeLedger
    function setManager(uint256 campaignId, address newManager) external onlyRole(DEFAULT_ADMIN_ROLE) {
        CampaignData storage c = _existingCampaign(campaignId);
        if (newManager == address(0)) revert LedgerZeroAddress();
        address previous = c.manager;
        c.manager = newManager;
        emit CampaignManagerChanged(campaignId, previous, newManager);
    }

    /// @inheritdoc IPledgeLedger
    function cancelCampaign(uint256 campaignId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        CampaignData storage c = _liveCampaign(campaignId);
        c.cancelled = true;
        uint256 openRoundId = c.roundCount;
        if (openRoundId != 0 && _rounds[campaignId][openRoundId].state == RoundState.Open) {
            _closeRound(campaignId, openRoundId, RoundState.Cancelled, false);
        } else {
            openRoundId = 0;
        }
        address[] storage tokens = _campaignTokens[campaignId];
        for (uint256 i = 0; i < tokens.length; ++i) {
            CampaignTokenLedger storage l = _ledgers[campaignId][tokens[i]];
            l.refundPool = l.spendable - l.disbursed;
            l.refundBase = l.spendable;
        }
        emit CampaignCancelled(campaignId, openRoundId);
    }

    // ─── Rounds (manager) ────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPledgeLedger
    function openRound(uint256 campaignId, uint40 start, uint40 end, uint80 goalUsd, bool allOrNothing)
        external
        returns (uint256 roundId)
    {
        CampaignData storage c = _managedCampaign(campaignId);
        if (c.cancelled) revert LedgerCampaignCancelled(campaignId);
        uint256 last = c.roundCount;
        if (last != 0 && _rounds[campaignId][last].state == RoundState.Open) {
            revert LedgerRoundStillOpen(campaignId, last);
        }
        if (start >= end || end <= block.timestamp) revert LedgerInvalidRoundWindow(start, end);
        if (goalUsd == 0) revert LedgerZeroAmount();
        roundId = last + 1;
        c.roundCount = SafeCast.toUint32(roundId);
        _rounds[campaignId][roundId] = Round({
            start: start,
            end: end,
            state: RoundState.Open,
            allOrNothing: allOrNothing,
            goalUsd: goalUsd,
            raisedUsd: 0
        });
        emit RoundOpened(campaignId, roundId, start, end, goalUsd, allOrNothing);
    }

    /// @inheritdoc IPledgeLedger
    function closeRound(uint256 campaignId, uint256 roundId) external returns (RoundState outcome) {
        _managedCampaign(campaignId);
        Round storage r = _rounds[campaignId][roundId];
        if (r.state == RoundState.None) revert LedgerUnknownRound(campaignId, roundId);
        if (r.state != RoundState.Open) revert LedgerRoundNotOpen(campaignId, roundId);
        bool goalMet = r.raisedUsd >= r.goalUsd;
        if (!goalMet && block.timestamp < r.end) revert LedgerRoundNotEnded(campaignId, roundId, r.end);
        outcome = goalMet ? RoundState.Succeeded : RoundState.Failed;
        _closeRound(campaignId, roundId, outcome, goalMet || !r.allOrNothing);
    }

    // ─── Pledges (anyone) ────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPledgeLedger
    function pledge(uint256 campaignId, uint256 roundId) external payable nonReentrant {
        if (msg.value == 0) revert LedgerZeroAmount();
        Round storage r = _runningRound(campaignId, roundId);
        TokenConfig memory config = _acceptedToken(campaignId, address(0));
        int256 price = _freshPrice(config);
        _recordPledge(campaignId, roundId, r, address(0), msg.value, config, price);
    }

    /// @inheritdoc IPledgeLedger
    function pledgeToken(uint256 campaignId, uint256 roundId, address token, uint256 amount) external nonReentrant {
        if (amount == 0) revert LedgerZeroAmount();
        if (token == address(0)) revert LedgerZeroAddress();
        Round storage r = _runningRound(campaignId, roundId);
        TokenConfig memory config = _acceptedToken(campaignId, token);
        int256 price = _freshPrice(config);
        // Credit what actually arrived: fee-on-transfer tokens deliver less than `amount`. The transfer has to
        // precede the effects to be measured; `nonReentrant` covers the token's callbacks, if any.
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - balanceBefore;
        // A zero test of what arrived, not an equality on a balance others can move: tokens sent to the ledger
        // meanwhile only make `received` larger, and a transfer that delivers nothing is what must be refused.
        // slither-disable-next-line incorrect-equality
        if (received == 0) revert LedgerZeroAmount();
        _recordPledge(campaignId, roundId, r, token, received, config, price);
    }

    // ─── Refunds (donors, anyone) ────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPledgeLedger
    function claimRefund(uint256 campaignId, uint256 roundId, address token)
        external
        nonReentrant
        returns (uint256 amount)
    {
        (uint256 numerator, uint256 denominator, bool refundable) = _refundTerms(campaignId, roundId, token);
        if (!refundable) revert LedgerNotRefundable(campaignId, roundId);
        amount = _takeRefund(campaignId, roundId, token, msg.sender, numerator, denominator);
        if (amount == 0) revert LedgerNothingToRefund(campaignId, roundId, token, msg.sender);
        emit Refunded(campaignId, roundId, msg.sender, token, amount, msg.sender);
        _send(token, msg.sender, amount);
    }

    /// @inheritdoc IPledgeLedger
    function pushRefunds(uint256 campaignId, uint256 roundId, address token, address[] calldata donors)
        external
        nonReentrant
        returns (uint256 total)
    {
        if (donors.length > MAX_REFUND_BATCH) revert LedgerBatchTooLarge(donors.length, MAX_REFUND_BATCH);
        (uint256 numerator, uint256 denominator, bool refundable) = _refundTerms(campaignId, roundId, token);
        if (!refundable) revert LedgerNotRefundable(campaignId, roundId);
        for (uint256 i = 0; i < donors.length; ++i) {
            address donor = donors[i];
            uint256 owed = _pledges[campaignId][roundId][token][donor];
            uint256 amount = _takeRefund(campaignId, roundId, token, donor, numerator, denominator);
            if (amount == 0) continue; // already refunded, or never pledged: skip rather than fail the batch
            // State is written after a payment (the next donor's _takeRefund, or _restoreRefund when it fails),
            // but a payee cannot exploit it: every function that pays out or books a refund is nonReentrant, the
            // refund terms were fixed above and cannot change (cancellation is one-way), and the rest it could
            // call are role-gated or views, which see each donor's refund fully booked.
            // slither-disable-next-line reentrancy-eth
            if (_trySend(token, donor, amount)) {
                total += amount;
                emit Refunded(campaignId, roundId, donor, token, amount, msg.sender);
            } else {
                _restoreRefund(campaignId, roundId, token, donor, owed, amount);
                emit RefundDeferred(campaignId, roundId, donor, token, amount);
            }
        }
    }

    // ─── Suppliers and payments (manager) ────────────────────────────────────────────────────────────

    /// @inheritdoc IPledgeLedger
    function approveSupplier(uint256 campaignId, address supplier, bytes32 recordHash) external {
        CampaignData storage c = _managedCampaign(campaignId);
        if (c.cancelled) revert LedgerCampaignCancelled(campaignId);
        if (supplier == address(0)) revert LedgerZeroAddress();
        // Paying the ledger itself would book a disbursement while the funds stay: the invariant would break.
        if (supplier == address(this)) revert LedgerInvalidSupplier(supplier);
        if (recordHash == bytes32(0)) revert LedgerZeroHash();
        _suppliers[campaignId][supplier] = recordHash;
        emit SupplierApproved(campaignId, supplier, recordHash);
    }

    /// @inheritdoc IPledgeLedger
    function revokeSupplier(uint256 campaignId, address supplier) external {
        _managedCampaign(campaignId);
        if (_suppliers[campaignId][supplier] == bytes32(0)) revert LedgerSupplierNotApproved(campaignId, supplier);
        delete _suppliers[campaignId][supplier];
        emit SupplierRevoked(campaignId, supplier);
    }

    /// @inheritdoc IPledgeLedger
    function disburse(
        uint256 campaignId,
        address token,
        address supplier,
        uint256 amount,
        bytes32 purchaseOrderRef,
        bytes32 invoiceHash
    ) external nonReentrant {
        CampaignData storage c = _managedCampaign(campaignId);
        if (c.cancelled) revert LedgerCampaignCancelled(campaignId);
        if (amount == 0) revert LedgerZeroAmount();
        if (purchaseOrderRef == bytes32(0) || invoiceHash == bytes32(0)) revert LedgerZeroHash();
        if (_suppliers[campaignId][supplier] == bytes32(0)) revert LedgerSupplierNotApproved(campaignId, supplier);
        CampaignTokenLedger storage l = _ledgers[campaignId][token];
        uint256 available = l.spendable - l.disbursed;
        if (amount > available) revert LedgerInsufficientFunds(campaignId, token, amount, available);
        // amount <= available < 2**128, so the cast and the sum cannot overflow.
        l.disbursed += uint128(amount);
        emit Disbursed(campaignId, supplier, purchaseOrderRef, token, amount, invoiceHash);
        _send(token, supplier, amount);
    }

    // ─── Attestations (auditor) ──────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPledgeLedger
    function attestReport(uint256 campaignId, bytes32 reportHash, uint256 asOfBlock, string calldata uri)
        external
        onlyRole(AUDITOR_ROLE)
    {
        _existingCampaign(campaignId);
        if (reportHash == bytes32(0)) revert LedgerZeroHash();
        bytes32 key = _attestationKey(campaignId, reportHash, msg.sender);
        if (_attestations[key] != 0) revert LedgerAlreadyAttested(campaignId, reportHash, msg.sender);
        _attestations[key] = block.timestamp;
        emit ReportAttested(campaignId, msg.sender, reportHash, asOfBlock, uri);
    }

    // ─── Views ───────────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPledgeLedger
    function campaignCount() external view returns (uint256) {
        return _campaignCount;
    }

    /// @inheritdoc IPledgeLedger
    function campaign(uint256 campaignId) external view returns (CampaignInfo memory) {
        CampaignData storage c = _existingCampaign(campaignId);
        return CampaignInfo({
            manager: c.manager,
            metadataHash: _metadataHashes[campaignId],
            roundCount: c.roundCount,
            cancelled: c.cancelled,
            tokens: _campaignTokens[campaignId]
        });
    }

    /// @inheritdoc IPledgeLedger
    function round(uint256 campaignId, uint256 roundId) external view returns (Round memory) {
        Round memory r = _rounds[campaignId][roundId];
        if (r.state == RoundState.None) revert LedgerUnknownRound(campaignId, roundId);
        return r;
    }

    /// @inheritdoc IPledgeLedger
    function tokenConfig(uint256 campaignId, address token) external view returns (TokenConfig memory) {
        return _tokenConfigs[campaignId][token];
    }

    /// @inheritdoc IPledgeLedger
    function pledgeOf(uint256 campaignId, uint256 roundId, address token, address donor)
        external
        view
        returns (uint256)
    {
        return _pledges[campaignId][roundId][token][donor];
    }

    /// @inheritdoc IPledgeLedger
    function roundTokenTotals(uint256 campaignId, uint256 roundId, address token)
        external
        view
        returns (uint256 pledged, uint256 refunded)
    {
        RoundTokenTotals memory t = _roundTotals[campaignId][roundId][token];
        return (t.pledged, t.refunded);
    }

    /// @inheritdoc IPledgeLedger
    function tokenTotals(uint256 campaignId, address token) external view returns (TokenTotals memory totals) {
        CampaignData storage c = _existingCampaign(campaignId);
        CampaignTokenLedger memory l = _ledgers[campaignId][token];
        uint256 openPledged = 0;
        uint256 last = c.roundCount;
        if (last != 0 && _rounds[campaignId][last].state == RoundState.Open) {
            openPledged = _roundTotals[campaignId][last][token].pledged;
        }
        totals.pledged = uint256(l.closedPledged) + openPledged;
        totals.refunded = l.refunded;
        totals.disbursed = l.disbursed;
        totals.held = totals.pledged - totals.refunded - totals.disbursed;
        totals.available = c.cancelled ? 0 : l.spendable - l.disbursed;
    }

    /// @inheritdoc IPledgeLedger
    function refundableAmount(uint256 campaignId, uint256 roundId, address token, address donor)
        external
        view
        returns (uint256)
    {
        (uint256 numerator, uint256 denominator, bool refundable) = _refundTerms(campaignId, roundId, token);
        if (!refundable) return 0;
        return _share(_pledges[campaignId][roundId][token][donor], numerator, denominator);
    }

    /// @inheritdoc IPledgeLedger
    function supplierRecord(uint256 campaignId, address supplier) external view returns (bytes32) {
        return _suppliers[campaignId][supplier];
    }

    /// @inheritdoc IPledgeLedger
    function attestedAt(uint256 campaignId, bytes32 reportHash, address auditor) external view returns (uint256) {
        return _attestations[_attestationKey(campaignId, reportHash, auditor)];
    }

    // ─── Internals ───────────────────────────────────────────────────────────────────────────────────

    /// @dev The one path by which a pledge changes state: round USD total, round-per-token total, donor balance.
    function _recordPledge(
        uint256 campaignId,
        uint256 roundId,
        Round storage r,
        address token,
        uint256 amount,
        TokenConfig memory config,
        int256 price
    ) private {
        // price > 0 was checked by _freshPrice.
        uint256 usdValue = Math.mulDiv(amount, uint256(price), 10 ** config.scaleExponent);
        r.raisedUsd = SafeCast.toUint80(r.raisedUsd + usdValue);
        _roundTotals[campaignId][roundId][token].pledged += SafeCast.toUint128(amount);
        // The round total above is capped at 2**128 and bounds every donor's balance, so this cannot overflow.
        unchecked {
            _pledges[campaignId][roundId][token][msg.sender] += amount;
        }
        emit Pledged(campaignId, roundId, msg.sender, token, amount, usdValue, price);
    }

    /// @dev The one path by which a round closes: fixes its state and folds its totals into the campaign's ledger.
    function _closeRound(uint256 campaignId, uint256 roundId, RoundState outcome, bool spendable) private {
        Round storage r = _rounds[campaignId][roundId];
        r.state = outcome;
        address[] storage tokens = _campaignTokens[campaignId];
        for (uint256 i = 0; i < tokens.length; ++i) {
            address token = tokens[i];
            uint128 pledged = _roundTotals[campaignId][roundId][token].pledged;
            if (pledged == 0) continue;
            CampaignTokenLedger storage l = _ledgers[campaignId][token];
            l.closedPledged += pledged;
            if (spendable) l.spendable += pledged;
        }
        emit RoundClosed(campaignId, roundId, outcome, r.raisedUsd);
    }

    /// @dev Zeroes the donor's balance and books the refund; returns what is owed to the donor (0 if nothing).
    function _takeRefund(
        uint256 campaignId,
        uint256 roundId,
        address token,
        address donor,
        uint256 numerator,
        uint256 denominator
    ) private returns (uint256 amount) {
        uint256 pledged = _pledges[campaignId][roundId][token][donor];
        amount = _share(pledged, numerator, denominator);
        if (amount == 0) return 0;
        _pledges[campaignId][roundId][token][donor] = 0;
        // amount <= pledged <= the round's total, which fits in uint128.
        _roundTotals[campaignId][roundId][token].refunded += uint128(amount);
        _ledgers[campaignId][token].refunded += uint128(amount);
    }

    /// @dev Undoes {_takeRefund} for a donor whose pushed refund was rejected.
    function _restoreRefund(
        uint256 campaignId,
        uint256 roundId,
        address token,
        address donor,
        uint256 pledged,
        uint256 amount
    ) private {
        _pledges[campaignId][roundId][token][donor] = pledged;
        _roundTotals[campaignId][roundId][token].refunded -= uint128(amount);
        _ledgers[campaignId][token].refunded -= uint128(amount);
    }

    /// @dev What fraction of a pledge is refundable: all of it from a failed all-or-nothing or cancelled round;
    /// the unspent share from a spendable round of a cancelled campaign; nothing otherwise.
    function _refundTerms(uint256 campaignId, uint256 roundId, address token)
        private
        view
        returns (uint256 numerator, uint256 denominator, bool refundable)
    {
        Round storage r = _rounds[campaignId][roundId];
        RoundState state = r.state;
        if (state == RoundState.Cancelled || (state == RoundState.Failed && r.allOrNothing)) return (1, 1, true);
        if (_campaigns[campaignId].cancelled && (state == RoundState.Succeeded || state == RoundState.Failed)) {
            CampaignTokenLedger storage l = _ledgers[campaignId][token];
            return (l.refundPool, l.refundBase, true);
        }
        return (0, 0, false);
    }

    function _share(uint256 amount, uint256 numerator, uint256 denominator) private pure returns (uint256) {
        if (denominator == 0) return 0;
        return numerator == denominator ? amount : Math.mulDiv(amount, numerator, denominator);
    }

    /// @dev Sends ETH or tokens, reverting if the recipient or the token refuses.
    function _send(address token, address to, uint256 amount) private {
        if (token == address(0)) {
            // Not arbitrary: the caller's own refund (claimRefund) or an approved supplier (disburse, manager only).
            // slither-disable-next-line arbitrary-send-eth
            (bool ok,) = payable(to).call{value: amount}("");
            if (!ok) revert LedgerEthTransferFailed(to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    /// @dev Like {_send}, but returns false instead of reverting, so one refusing donor cannot block a batch.
    function _trySend(address token, address to, uint256 amount) private returns (bool ok) {
        if (token == address(0)) {
            // Not arbitrary: a donor's own refund (pushRefunds), at most what the ledger holds for them.
            // slither-disable-next-line arbitrary-send-eth
            (ok,) = payable(to).call{value: amount}("");
        } else {
            ok = IERC20(token).trySafeTransfer(to, amount);
        }
    }

    function _freshPrice(TokenConfig memory config) private view returns (int256 price) {
        // Only the answer and its time matter: roundId and startedAt add nothing to the staleness test, and
        // Chainlink has deprecated answeredInRound.
        // slither-disable-next-line unused-return
        (, int256 answer,, uint256 updatedAt,) = AggregatorV3Interface(config.feed).latestRoundData();
        if (answer <= 0) revert LedgerInvalidPrice(config.feed, answer);
        if (updatedAt == 0 || updatedAt + config.maxStaleness < block.timestamp) {
            revert LedgerStalePrice(config.feed, updatedAt, config.maxStaleness);
        }
        return answer;
    }

    function _runningRound(uint256 campaignId, uint256 roundId) private view returns (Round storage r) {
        r = _rounds[campaignId][roundId];
        Round memory snapshot = r;
        if (snapshot.state == RoundState.None) revert LedgerUnknownRound(campaignId, roundId);
        if (snapshot.state != RoundState.Open) revert LedgerRoundNotOpen(campaignId, roundId);
        if (block.timestamp < snapshot.start) revert LedgerRoundNotStarted(campaignId, roundId, snapshot.start);
        if (block.timestamp >= snapshot.end) revert LedgerRoundEnded(campaignId, roundId, snapshot.end);
    }

    function _acceptedToken(uint256 campaignId, address token) private view returns (TokenConfig memory config) {
        config = _tokenConfigs[campaignId][token];
        if (!config.accepted) revert LedgerTokenNotAccepted(campaignId, token);
    }

    function _existingCampaign(uint256 campaignId) private view returns (CampaignData storage c) {
        c = _campaigns[campaignId];
        // Every campaign has a non-zero manager, so a zero one means no campaign.
        if (c.manager == address(0)) revert LedgerUnknownCampaign(campaignId);
    }

    function _liveCampaign(uint256 campaignId) private view returns (CampaignData storage c) {
        c = _existingCampaign(campaignId);
        if (c.cancelled) revert LedgerCampaignCancelled(campaignId);
    }

    function _managedCampaign(uint256 campaignId) private view returns (CampaignData storage c) {
        c = _existingCampaign(campaignId);
        if (c.manager != msg.sender) revert LedgerUnauthorizedManager(campaignId, msg.sender);
    }

    function _attestationKey(uint256 campaignId, bytes32 reportHash, address auditor) private pure returns (bytes32) {
        return keccak256(abi.encode(campaignId, reportHash, auditor));
    }
}
