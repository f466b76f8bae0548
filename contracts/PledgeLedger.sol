// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
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
/// totals are folded in when a round closes, over the campaign's tokens (at most `MAX_TOKENS`); they are uint256,
/// so that no sum over rounds can overflow and lock a close, a refund or a cancellation.
/// Every state-changing function of the ledger is `nonReentrant`. The role functions inherited from OpenZeppelin
/// are not: they make no external call and touch no accounting, and are reachable only by the admin, which is not
/// code that runs during a ledger call.
/// Uses the storage-based ReentrancyGuard, not the transient one, so the contract runs on pre-Cancun chains
/// (Ganache) as well.
contract PledgeLedger is IPledgeLedger, AccessControlDefaultAdminRules, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice Role of the auditors who may attest reconciliation reports.
    bytes32 public constant AUDITOR_ROLE = keccak256("AUDITOR_ROLE");

    /// @notice Role of the guardian: immediate, protective actions only (pause, revoke a supplier, cancel).
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    /// @notice Most tokens a campaign can accept; bounds the loops that settle a round or cancel a campaign.
    uint256 public constant MAX_TOKENS = 8;

    /// @notice Most donors a single {pushRefunds} call can serve.
    uint256 public constant MAX_REFUND_BATCH = 100;

    /// @notice Gas a donor contract may spend receiving a pushed ETH refund (a Safe needs about 10,000); one that
    /// needs more keeps its claim.
    uint256 public constant PUSH_REFUND_GAS = 50_000;

    /// @notice Longest supplier delay a campaign may have, so that a typo cannot freeze its payments for years.
    uint32 public constant MAX_SUPPLIER_DELAY = 90 days;

    /// @notice Shortest supplier delay a campaign may have on this deployment (0 only on local test chains).
    uint32 public immutable MIN_SUPPLIER_DELAY;

    /// @dev USD amounts carry 8 decimals, like Chainlink's USD feeds.
    uint8 private constant _USD_DECIMALS = 8;

    /// @dev Most decimals a token or a feed may have.
    uint8 private constant _MAX_DECIMALS = 36;

    /// @dev Gas a pushed batch must have left before each donor, so that the donor always gets its full allowance
    /// and the batch never runs out of gas midway: the allowance and the 1/64 a call cannot forward, plus the
    /// dearest booking around the call (~60,000: fresh storage writes of the refund totals and the pro-rata
    /// pool; 36,600: a call with value to a cold, empty account; the event or the undoing of a rejected refund).
    uint256 private constant _PUSH_REFUND_RESERVE = PUSH_REFUND_GAS + PUSH_REFUND_GAS / 63 + 110_000;

    /// @dev How a round's pledges are refunded: not at all, in full, or pro rata to a cancelled campaign's
    /// remainder.
    enum RefundKind {
        None,
        Full,
        ProRata
    }

    /// @dev One slot: 20 + 4 + 1 + 1 + 4 bytes.
    struct CampaignData {
        address manager;
        uint32 roundCount;
        bool cancelled;
        bool paused;
        uint32 supplierDelay;
    }

    struct RoundTokenTotals {
        uint128 pledged;
        uint128 refunded;
    }

    /// @dev A campaign's ledger for one token. `closedPledged` and `spendable` grow when rounds close; a round's
    /// total is capped at 2**128 when pledged, so these sums over at most 2**32 rounds fit in uint256. At
    /// cancellation `refundPool` takes what is unspent and `refundBase` the pledges it is shared between; each
    /// pro-rata refund takes its share of both, so the last claimant takes exactly what rounding left.
    struct CampaignTokenLedger {
        uint256 closedPledged;
        uint256 spendable;
        uint256 refunded;
        uint256 disbursed;
        uint256 refundPool;
        uint256 refundBase;
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
    mapping(uint256 campaignId => mapping(address supplier => SupplierApproval)) private _suppliers;
    mapping(bytes32 attestationKey => uint256 timestamp) private _attestations;

    /// @param admin The organisation's admin: in production a `TimelockController` whose proposer is a Safe. It
    /// creates campaigns, accepts tokens, replaces managers and grants roles; handing the role on takes two steps
    /// and `adminTransferDelay` seconds.
    /// @param guardian The guardian (a Safe): pauses, revokes suppliers and cancels campaigns, at once.
    /// @param adminTransferDelay Seconds between scheduling an admin transfer and the new admin accepting it.
    /// @param minSupplierDelay The shortest supplier delay campaigns of this deployment may have.
    constructor(address admin, address guardian, uint48 adminTransferDelay, uint32 minSupplierDelay)
        AccessControlDefaultAdminRules(adminTransferDelay, admin)
    {
        if (guardian == address(0)) revert LedgerInvalidGuardian(guardian);
        if (minSupplierDelay > MAX_SUPPLIER_DELAY) {
            revert LedgerInvalidSupplierDelay(minSupplierDelay, 0, MAX_SUPPLIER_DELAY);
        }
        MIN_SUPPLIER_DELAY = minSupplierDelay;
        _grantRole(GUARDIAN_ROLE, guardian);
    }

    /// @dev Protective actions: the guardian's, or the admin's.
    modifier onlyGuardianOrAdmin() {
        if (!hasRole(GUARDIAN_ROLE, msg.sender) && !hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
            revert LedgerUnauthorizedGuardian(msg.sender);
        }
        _;
    }

    // ─── Campaigns (admin) ───────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPledgeLedger
    function createCampaign(address manager, string calldata beneficiary, bytes32 metadataHash, uint32 supplierDelay)
        external
        nonReentrant
        onlyRole(DEFAULT_ADMIN_ROLE)
        returns (uint256 campaignId)
    {
        if (manager == address(0)) revert LedgerInvalidManager(manager);
        if (supplierDelay < MIN_SUPPLIER_DELAY || supplierDelay > MAX_SUPPLIER_DELAY) {
            revert LedgerInvalidSupplierDelay(supplierDelay, MIN_SUPPLIER_DELAY, MAX_SUPPLIER_DELAY);
        }
        campaignId = ++_campaignCount;
        CampaignData storage c = _campaigns[campaignId];
        c.manager = manager;
        c.supplierDelay = supplierDelay;
        _metadataHashes[campaignId] = metadataHash;
        emit CampaignCreated(campaignId, manager, beneficiary, metadataHash, supplierDelay);
    }

    /// @inheritdoc IPledgeLedger
    function acceptToken(uint256 campaignId, address token, address feed, uint32 maxStaleness)
        external
        nonReentrant
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        CampaignData storage c = _liveCampaign(campaignId);
        // A feed swapped (or a token added) under an open round could make a worthless pledge meet its goal.
        uint256 openRoundId = _openRoundId(campaignId, c);
        if (openRoundId != 0) revert LedgerTokensLocked(campaignId, token, openRoundId);
        if (feed == address(0)) revert LedgerInvalidFeed(feed);
        if (maxStaleness == 0) revert LedgerInvalidMaxStaleness(maxStaleness);
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
    function setManager(uint256 campaignId, address newManager) external nonReentrant onlyRole(DEFAULT_ADMIN_ROLE) {
        CampaignData storage c = _existingCampaign(campaignId);
        if (newManager == address(0)) revert LedgerInvalidManager(newManager);
        address previous = c.manager;
        c.manager = newManager;
        emit CampaignManagerChanged(campaignId, previous, newManager);
    }

    // ─── Protection (guardian or admin, immediate) ───────────────────────────────────────────────────

    /// @inheritdoc IPledgeLedger
    function cancelCampaign(uint256 campaignId) external nonReentrant onlyGuardianOrAdmin {
        CampaignData storage c = _liveCampaign(campaignId);
        c.cancelled = true;
        uint256 openRoundId = _openRoundId(campaignId, c);
        if (openRoundId != 0) _closeRound(campaignId, openRoundId, RoundState.Cancelled, false);
        address[] storage tokens = _campaignTokens[campaignId];
        for (uint256 i = 0; i < tokens.length; ++i) {
            CampaignTokenLedger storage l = _ledgers[campaignId][tokens[i]];
            l.refundPool = l.spendable - l.disbursed;
            l.refundBase = l.spendable;
        }
        emit CampaignCancelled(campaignId, openRoundId, msg.sender);
    }

    /// @inheritdoc IPledgeLedger
    function pauseCampaign(uint256 campaignId) external nonReentrant onlyGuardianOrAdmin {
        CampaignData storage c = _existingCampaign(campaignId);
        if (c.paused) revert LedgerCampaignPaused(campaignId);
        c.paused = true;
        emit CampaignPaused(campaignId, msg.sender);
    }

    /// @inheritdoc IPledgeLedger
    function unpauseCampaign(uint256 campaignId) external nonReentrant onlyGuardianOrAdmin {
        CampaignData storage c = _existingCampaign(campaignId);
        if (!c.paused) revert LedgerCampaignNotPaused(campaignId);
        c.paused = false;
        emit CampaignUnpaused(campaignId, msg.sender);
    }

    // ─── Rounds (manager; closing after the end: anyone) ─────────────────────────────────────────────

    /// @inheritdoc IPledgeLedger
    function openRound(uint256 campaignId, uint40 start, uint40 end, uint80 goalUsd, bool allOrNothing)
        external
        nonReentrant
        returns (uint256 roundId)
    {
        CampaignData storage c = _managedCampaign(campaignId);
        if (c.cancelled) revert LedgerCampaignCancelled(campaignId);
        uint256 openRoundId = _openRoundId(campaignId, c);
        if (openRoundId != 0) revert LedgerRoundStillOpen(campaignId, openRoundId);
        if (start >= end || end <= block.timestamp) revert LedgerInvalidRoundWindow(start, end);
        if (goalUsd == 0) revert LedgerInvalidGoal(goalUsd);
        roundId = uint256(c.roundCount) + 1;
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
    function closeRound(uint256 campaignId, uint256 roundId) external nonReentrant returns (RoundState outcome) {
        CampaignData storage c = _existingCampaign(campaignId);
        Round storage r = _rounds[campaignId][roundId];
        if (r.state == RoundState.None) revert LedgerUnknownRound(campaignId, roundId);
        if (r.state != RoundState.Open) revert LedgerRoundNotOpen(campaignId, roundId);
        bool goalMet = r.raisedUsd >= r.goalUsd;
        // After its end anyone may close a round, so its donors never wait on the manager; before it, only the
        // manager may, and only to bank a goal already met.
        if (block.timestamp < r.end && !(goalMet && msg.sender == c.manager)) {
            revert LedgerRoundNotEnded(campaignId, roundId, r.end);
        }
        outcome = goalMet ? RoundState.Succeeded : RoundState.Failed;
        _closeRound(campaignId, roundId, outcome, goalMet || !r.allOrNothing);
    }

    // ─── Pledges (anyone) ────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPledgeLedger
    function pledge(uint256 campaignId, uint256 roundId) external payable nonReentrant {
        if (msg.value == 0) revert LedgerInvalidPledgeAmount(msg.value);
        Round storage r = _runningRound(campaignId, roundId);
        TokenConfig memory config = _acceptedToken(campaignId, address(0));
        int256 price = _freshPrice(config);
        _recordPledge(campaignId, roundId, r, address(0), msg.value, config, price);
    }

    /// @inheritdoc IPledgeLedger
    function pledgeToken(uint256 campaignId, uint256 roundId, address token, uint256 amount) external nonReentrant {
        if (amount == 0) revert LedgerInvalidPledgeAmount(amount);
        if (token == address(0)) revert LedgerInvalidToken(token);
        Round storage r = _runningRound(campaignId, roundId);
        TokenConfig memory config = _acceptedToken(campaignId, token);
        int256 price = _freshPrice(config);
        // Credit what actually arrived: fee-on-transfer tokens deliver less than `amount`. The transfer has to
        // precede the effects to be measured; `nonReentrant` on every state-changing function covers the token's
        // callbacks, if any (a hook that tries to close the round or cancel the campaign meanwhile reverts).
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - balanceBefore;
        // A zero test of what arrived, not an equality on a balance others can move: tokens sent to the ledger
        // meanwhile only make `received` larger, and a transfer that delivers nothing is what must be refused.
        // slither-disable-next-line incorrect-equality
        if (received == 0) revert LedgerNothingReceived(token, amount);
        _recordPledge(campaignId, roundId, r, token, received, config, price);
    }

    // ─── Refunds (donors, anyone) ────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPledgeLedger
    function claimRefund(uint256 campaignId, uint256 roundId, address token)
        external
        nonReentrant
        returns (uint256 amount)
    {
        RefundKind kind = _refundKind(campaignId, roundId);
        if (kind == RefundKind.None) revert LedgerNotRefundable(campaignId, roundId);
        uint256 pledged;
        (amount, pledged) = _takeRefund(campaignId, roundId, token, msg.sender, kind);
        if (pledged == 0) revert LedgerNothingToRefund(campaignId, roundId, token, msg.sender);
        emit Refunded(campaignId, roundId, msg.sender, token, amount, msg.sender);
        if (amount != 0) _send(token, msg.sender, amount);
    }

    /// @inheritdoc IPledgeLedger
    function pushRefunds(uint256 campaignId, uint256 roundId, address token, address[] calldata donors)
        external
        nonReentrant
        returns (uint256 total)
    {
        if (donors.length > MAX_REFUND_BATCH) revert LedgerBatchTooLarge(donors.length, MAX_REFUND_BATCH);
        RefundKind kind = _refundKind(campaignId, roundId);
        if (kind == RefundKind.None) revert LedgerNotRefundable(campaignId, roundId);
        for (uint256 i = 0; i < donors.length; ++i) {
            // Revert rather than short-change a donor: a caller must not starve refunds into deferral.
            uint256 gasLeft = gasleft();
            if (gasLeft < _PUSH_REFUND_RESERVE) revert LedgerInsufficientGas(gasLeft, _PUSH_REFUND_RESERVE);
            address donor = donors[i];
            (uint256 amount, uint256 pledged) = _takeRefund(campaignId, roundId, token, donor, kind);
            if (pledged == 0) continue; // already refunded, or never pledged: skip rather than fail the batch
            // State is written after a payment (the next donor's _takeRefund, or _restoreRefund when it fails),
            // but a payee cannot exploit it: every state-changing function is nonReentrant, the refund kind was
            // fixed above and cannot change (cancellation is one-way), and the views a payee could call see each
            // donor's refund fully booked.
            if (amount == 0 || _trySend(token, donor, amount)) {
                total += amount;
                emit Refunded(campaignId, roundId, donor, token, amount, msg.sender);
            } else {
                _restoreRefund(campaignId, roundId, token, donor, pledged, amount, kind);
                emit RefundDeferred(campaignId, roundId, donor, token, amount);
            }
        }
    }

    // ─── Suppliers and payments (manager) ────────────────────────────────────────────────────────────

    /// @inheritdoc IPledgeLedger
    function approveSupplier(uint256 campaignId, address supplier, bytes32 recordHash) external nonReentrant {
        CampaignData storage c = _managedCampaign(campaignId);
        if (c.cancelled) revert LedgerCampaignCancelled(campaignId);
        // Paying the ledger itself would book a disbursement while the funds stay: the invariant would break.
        if (supplier == address(0) || supplier == address(this)) revert LedgerInvalidSupplier(supplier);
        if (recordHash == bytes32(0)) revert LedgerInvalidRecordHash(recordHash);
        uint48 effectiveAt = SafeCast.toUint48(block.timestamp + c.supplierDelay);
        _suppliers[campaignId][supplier] = SupplierApproval({recordHash: recordHash, effectiveAt: effectiveAt});
        emit SupplierApproved(campaignId, supplier, recordHash, effectiveAt);
    }

    /// @inheritdoc IPledgeLedger
    function revokeSupplier(uint256 campaignId, address supplier) external nonReentrant {
        CampaignData storage c = _existingCampaign(campaignId);
        if (
            msg.sender != c.manager && !hasRole(GUARDIAN_ROLE, msg.sender) && !hasRole(DEFAULT_ADMIN_ROLE, msg.sender)
        ) {
            revert LedgerUnauthorizedRevoker(campaignId, msg.sender);
        }
        if (_suppliers[campaignId][supplier].recordHash == bytes32(0)) {
            revert LedgerSupplierNotApproved(campaignId, supplier);
        }
        delete _suppliers[campaignId][supplier];
        emit SupplierRevoked(campaignId, supplier, msg.sender);
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
        if (c.paused) revert LedgerCampaignPaused(campaignId);
        if (amount == 0) revert LedgerInvalidDisbursementAmount(amount);
        if (purchaseOrderRef == bytes32(0)) revert LedgerInvalidPurchaseOrderRef(purchaseOrderRef);
        if (invoiceHash == bytes32(0)) revert LedgerInvalidInvoiceHash(invoiceHash);
        SupplierApproval memory approval = _suppliers[campaignId][supplier];
        if (approval.recordHash == bytes32(0)) revert LedgerSupplierNotApproved(campaignId, supplier);
        if (block.timestamp < approval.effectiveAt) {
            revert LedgerSupplierNotEffective(campaignId, supplier, approval.effectiveAt);
        }
        CampaignTokenLedger storage l = _ledgers[campaignId][token];
        uint256 available = l.spendable - l.disbursed;
        if (amount > available) revert LedgerInsufficientFunds(campaignId, token, amount, available);
        l.disbursed += amount;
        emit Disbursed(campaignId, supplier, purchaseOrderRef, token, amount, invoiceHash);
        _send(token, supplier, amount);
    }

    // ─── Attestations (auditor) ──────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPledgeLedger
    function attestReport(uint256 campaignId, bytes32 reportHash, uint256 asOfBlock, string calldata uri)
        external
        nonReentrant
        onlyRole(AUDITOR_ROLE)
    {
        _existingCampaign(campaignId);
        if (reportHash == bytes32(0)) revert LedgerInvalidReportHash(reportHash);
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
            paused: c.paused,
            supplierDelay: c.supplierDelay,
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
        CampaignTokenLedger storage l = _ledgers[campaignId][token];
        uint256 openRoundId = _openRoundId(campaignId, c);
        uint256 openPledged = openRoundId == 0 ? 0 : _roundTotals[campaignId][openRoundId][token].pledged;
        totals.pledged = l.closedPledged + openPledged;
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
        RefundKind kind = _refundKind(campaignId, roundId);
        uint256 pledged = _pledges[campaignId][roundId][token][donor];
        if (kind == RefundKind.None) return 0;
        if (kind == RefundKind.Full) return pledged;
        CampaignTokenLedger storage l = _ledgers[campaignId][token];
        return _proRataShare(pledged, l.refundPool, l.refundBase);
    }

    /// @inheritdoc IPledgeLedger
    function refundPool(uint256 campaignId, address token) external view returns (uint256 pool, uint256 base) {
        CampaignTokenLedger storage l = _ledgers[campaignId][token];
        return (l.refundPool, l.refundBase);
    }

    /// @inheritdoc IPledgeLedger
    function supplierApproval(uint256 campaignId, address supplier) external view returns (SupplierApproval memory) {
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
        // The cap is checked here, when the pledge is taken, so that no later sum can overflow.
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
            uint256 pledged = _roundTotals[campaignId][roundId][token].pledged;
            if (pledged == 0) continue;
            CampaignTokenLedger storage l = _ledgers[campaignId][token];
            l.closedPledged += pledged;
            if (spendable) l.spendable += pledged;
        }
        emit RoundClosed(campaignId, roundId, outcome, r.raisedUsd, msg.sender);
    }

    /// @dev The one path by which a refund is booked: zeroes the donor's pledge and books what is owed for it.
    /// Returns what is owed and the pledge it settles (0: nothing outstanding). A pro-rata refund takes its
    /// share of the remaining pool and base, so the last pledge of a token takes exactly what is left.
    function _takeRefund(uint256 campaignId, uint256 roundId, address token, address donor, RefundKind kind)
        private
        returns (uint256 amount, uint256 pledged)
    {
        pledged = _pledges[campaignId][roundId][token][donor];
        if (pledged == 0) return (0, 0);
        CampaignTokenLedger storage l = _ledgers[campaignId][token];
        if (kind == RefundKind.Full) {
            amount = pledged;
        } else {
            uint256 pool = l.refundPool;
            uint256 base = l.refundBase;
            amount = _proRataShare(pledged, pool, base);
            // amount <= pool and pledged <= base: the base is the sum of the outstanding pledges it shares.
            unchecked {
                l.refundPool = pool - amount;
                l.refundBase = base - pledged;
            }
        }
        _pledges[campaignId][roundId][token][donor] = 0;
        // amount <= pledged <= the round's total, which fits in uint128.
        _roundTotals[campaignId][roundId][token].refunded += uint128(amount);
        l.refunded += amount;
    }

    /// @dev Undoes {_takeRefund} for a donor whose pushed refund was rejected.
    function _restoreRefund(
        uint256 campaignId,
        uint256 roundId,
        address token,
        address donor,
        uint256 pledged,
        uint256 amount,
        RefundKind kind
    ) private {
        _pledges[campaignId][roundId][token][donor] = pledged;
        _roundTotals[campaignId][roundId][token].refunded -= uint128(amount);
        CampaignTokenLedger storage l = _ledgers[campaignId][token];
        l.refunded -= amount;
        if (kind == RefundKind.ProRata) {
            l.refundPool += amount;
            l.refundBase += pledged;
        }
    }

    /// @dev How a round's pledges are refunded: in full from a failed all-or-nothing or cancelled round; pro rata
    /// from a spendable round of a cancelled campaign; not at all otherwise.
    function _refundKind(uint256 campaignId, uint256 roundId) private view returns (RefundKind) {
        Round storage r = _rounds[campaignId][roundId];
        RoundState state = r.state;
        if (state == RoundState.Cancelled || (state == RoundState.Failed && r.allOrNothing)) return RefundKind.Full;
        if (_campaigns[campaignId].cancelled && (state == RoundState.Succeeded || state == RoundState.Failed)) {
            return RefundKind.ProRata;
        }
        return RefundKind.None;
    }

    /// @dev `pledged`'s share of `pool`, shared over `base`; the whole pool for the last pledge of the base.
    function _proRataShare(uint256 pledged, uint256 pool, uint256 base) private pure returns (uint256) {
        if (pledged >= base) return pool;
        return Math.mulDiv(pledged, pool, base);
    }

    /// @dev The round of the campaign that is open now, or 0.
    function _openRoundId(uint256 campaignId, CampaignData storage c) private view returns (uint256) {
        uint256 last = c.roundCount;
        return last != 0 && _rounds[campaignId][last].state == RoundState.Open ? last : 0;
    }

    /// @dev Sends ETH or tokens, reverting if the recipient or the token refuses. ETH goes with all the gas left
    /// (contract wallets may need it) and nothing the recipient returns is copied.
    function _send(address token, address to, uint256 amount) private {
        if (token == address(0)) {
            bool ok;
            // Not arbitrary: the caller's own refund (claimRefund) or an approved supplier (disburse, manager only).
            assembly ("memory-safe") {
                ok := call(gas(), to, amount, 0, 0, 0, 0)
            }
            if (!ok) revert LedgerEthTransferFailed(to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    /// @dev Like {_send}, but returns false instead of reverting, so one refusing donor cannot block a batch. ETH
    /// goes with `PUSH_REFUND_GAS` and its return data is never copied: a donor can neither burn the batch's gas
    /// nor bomb it with a huge revert payload ({pushRefunds} checks first that the allowance is there). ERC-20
    /// transfers copy at most one word back.
    function _trySend(address token, address to, uint256 amount) private returns (bool ok) {
        if (token == address(0)) {
            // Not arbitrary: a donor's own refund (pushRefunds), at most what the ledger holds for them.
            assembly ("memory-safe") {
                ok := call(PUSH_REFUND_GAS, to, amount, 0, 0, 0, 0)
            }
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
