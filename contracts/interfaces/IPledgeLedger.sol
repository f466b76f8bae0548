// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title PledgeLedger: crowdfunding escrow for humanitarian procurement
/// @notice One contract holds every campaign's funds. Donors pledge ETH or allow-listed ERC-20s into a
/// campaign's open funding round; the USD value at receipt is read from a price feed and recorded. A closed
/// round either succeeded (its funds become spendable) or failed; a failed all-or-nothing round, a round open
/// when its campaign is cancelled, and the unspent remainder of a cancelled campaign are refunded to donors.
/// Managers pay approved suppliers against a purchase order and an invoice hash; auditors anchor the hash of
/// their reconciliation reports. Every state change emits an event carrying all an indexer needs.
///
/// Trust model: actions that increase risk are slow and visible, actions that reduce risk are immediate.
/// - The admin (in production a `TimelockController` whose proposer is a Safe) creates campaigns, accepts tokens
///   and their price feeds (never while a round of the campaign is open), replaces managers and grants roles;
///   the admin role itself moves in two steps with a delay (OpenZeppelin `AccessControlDefaultAdminRules`).
/// - A campaign's manager opens and closes rounds and pays suppliers; a supplier approval takes effect only
///   after the campaign's supplier delay, fixed at creation, so a stolen manager or admin key cannot pay itself
///   before the guardian sees it.
/// - The guardian (a Safe) acts at once, and only to protect: it pauses a campaign's disbursements, revokes a
///   supplier approval (pending or effective) and cancels a campaign, which opens refunds. No guardian action
///   can move funds to anyone but the donors.
/// - Anyone may close a round once its end has passed, so a failed all-or-nothing round's donors depend on no
///   one to get their refund.
///
/// Invariant, for every token: this contract's balance == Σ over campaigns of (pledged − refunded − disbursed).
/// @dev Native ETH is identified by `address(0)` wherever a token address is expected.
interface IPledgeLedger {
    /// @notice Lifecycle of a funding round. `Succeeded` and `Failed` are fixed when the round is closed.
    enum RoundState {
        None,
        Open,
        Succeeded,
        Failed,
        Cancelled
    }

    /// @notice A campaign as returned by {campaign}.
    struct CampaignInfo {
        address manager;
        bytes32 metadataHash;
        uint32 roundCount;
        bool cancelled;
        bool paused;
        uint32 supplierDelay;
        address[] tokens;
    }

    /// @notice A funding round, packed into one storage slot.
    /// @dev `goalUsd` and `raisedUsd` carry 8 decimals; uint80 holds up to ~1.2e16 USD.
    struct Round {
        uint40 start;
        uint40 end;
        RoundState state;
        bool allOrNothing;
        uint80 goalUsd;
        uint80 raisedUsd;
    }

    /// @notice How a campaign prices an accepted token, packed into one storage slot.
    /// @dev `scaleExponent` = token decimals + feed decimals − 8, so usd = amount × price / 10^scaleExponent.
    struct TokenConfig {
        address feed;
        uint8 tokenDecimals;
        uint8 scaleExponent;
        uint32 maxStaleness;
        bool accepted;
    }

    /// @notice A campaign's running totals in one token, in the token's base units.
    struct TokenTotals {
        uint256 pledged;
        uint256 refunded;
        uint256 disbursed;
        uint256 held;
        uint256 available;
    }

    /// @notice A supplier's approval for a campaign: the hash of its vetting record and when it takes effect.
    /// @dev A zero `recordHash` means not approved (never, or revoked).
    struct SupplierApproval {
        bytes32 recordHash;
        uint48 effectiveAt;
    }

    // ─── Events ──────────────────────────────────────────────────────────────────────────────────────

    /// @notice A campaign was created by the admin; suppliers it approves take effect `supplierDelay` seconds
    /// after their approval.
    event CampaignCreated(
        uint256 indexed campaignId, address indexed manager, string beneficiary, bytes32 metadataHash, uint32 supplierDelay
    );

    /// @notice The admin replaced a campaign's manager.
    event CampaignManagerChanged(uint256 indexed campaignId, address indexed previousManager, address indexed newManager);

    /// @notice `account` (the guardian or the admin) cancelled a campaign; `cancelledRoundId` is the round that was
    /// open then, or 0.
    event CampaignCancelled(uint256 indexed campaignId, uint256 cancelledRoundId, address indexed account);

    /// @notice `account` (the guardian or the admin) paused a campaign's disbursements.
    event CampaignPaused(uint256 indexed campaignId, address indexed account);

    /// @notice `account` (the guardian or the admin) resumed a campaign's disbursements.
    event CampaignUnpaused(uint256 indexed campaignId, address indexed account);

    /// @notice A token was accepted by a campaign, or its price feed was changed (only while no round is open).
    event TokenAccepted(
        uint256 indexed campaignId,
        address indexed token,
        address feed,
        uint8 tokenDecimals,
        uint8 feedDecimals,
        uint32 maxStaleness
    );

    /// @notice A manager opened a funding round.
    event RoundOpened(
        uint256 indexed campaignId,
        uint256 indexed roundId,
        uint40 start,
        uint40 end,
        uint80 goalUsd,
        bool allOrNothing
    );

    /// @notice A donor pledged `amount` base units of `token` (what the contract actually received), worth
    /// `usdValue` (8 decimals) at the feed's `price` at receipt.
    event Pledged(
        uint256 indexed campaignId,
        uint256 indexed roundId,
        address indexed donor,
        address token,
        uint256 amount,
        uint256 usdValue,
        int256 price
    );

    /// @notice A round was closed by `caller` with its final `outcome` (Succeeded, Failed or Cancelled).
    event RoundClosed(
        uint256 indexed campaignId, uint256 indexed roundId, RoundState outcome, uint256 raisedUsd, address caller
    );

    /// @notice `amount` of `token` was returned to `donor`; `caller` is who sent the transaction. An amount of 0
    /// settles a pro-rata claim whose share of a cancelled campaign's remainder rounds down to nothing.
    event Refunded(
        uint256 indexed campaignId,
        uint256 indexed roundId,
        address indexed donor,
        address token,
        uint256 amount,
        address caller
    );

    /// @notice A pushed refund could not be delivered (the donor rejected it); the donor can still claim it.
    event RefundDeferred(
        uint256 indexed campaignId, uint256 indexed roundId, address indexed donor, address token, uint256 amount
    );

    /// @notice A manager approved a supplier, anchoring the hash of its off-chain vetting record; it can be paid
    /// from `effectiveAt` (a Unix time) on, unless revoked before.
    event SupplierApproved(
        uint256 indexed campaignId, address indexed supplier, bytes32 recordHash, uint48 effectiveAt
    );

    /// @notice `account` (the manager, the guardian or the admin) revoked a supplier's approval, pending or
    /// effective.
    event SupplierRevoked(uint256 indexed campaignId, address indexed supplier, address indexed account);

    /// @notice A manager paid `amount` of `token` to `supplier` against a purchase order and an invoice.
    event Disbursed(
        uint256 indexed campaignId,
        address indexed supplier,
        bytes32 indexed purchaseOrderRef,
        address token,
        uint256 amount,
        bytes32 invoiceHash
    );

    /// @notice An auditor anchored the hash of a reconciliation report computed as of `asOfBlock`.
    event ReportAttested(
        uint256 indexed campaignId, address indexed auditor, bytes32 indexed reportHash, uint256 asOfBlock, string uri
    );

    // ─── Errors ──────────────────────────────────────────────────────────────────────────────────────
    // Each names the argument at fault and carries its value (OpenZeppelin's ERC-6093 style).

    /// @notice `account` is not the manager of `campaignId`.
    error LedgerUnauthorizedManager(uint256 campaignId, address account);
    /// @notice `account` is neither the guardian nor the admin, who alone may take protective actions.
    error LedgerUnauthorizedGuardian(address account);
    /// @notice `account` may not revoke suppliers of `campaignId`: only its manager, the guardian or the admin.
    error LedgerUnauthorizedRevoker(uint256 campaignId, address account);
    /// @notice No campaign has id `campaignId`.
    error LedgerUnknownCampaign(uint256 campaignId);
    /// @notice The campaign was cancelled; nothing but refunds is possible.
    error LedgerCampaignCancelled(uint256 campaignId);
    /// @notice The campaign's disbursements are paused by the guardian.
    error LedgerCampaignPaused(uint256 campaignId);
    /// @notice The campaign's disbursements are not paused.
    error LedgerCampaignNotPaused(uint256 campaignId);
    /// @notice The guardian passed to the constructor is the zero address.
    error LedgerInvalidGuardian(address guardian);
    /// @notice `manager` cannot manage a campaign (the zero address).
    error LedgerInvalidManager(address manager);
    /// @notice `delay` is outside the supplier delays this deployment allows, `min` to `max` seconds.
    error LedgerInvalidSupplierDelay(uint32 delay, uint32 min, uint32 max);
    /// @notice `feed` cannot price a token (the zero address).
    error LedgerInvalidFeed(address feed);
    /// @notice `maxStaleness` must be at least one second.
    error LedgerInvalidMaxStaleness(uint32 maxStaleness);
    /// @notice The campaign already accepts the maximum number of tokens.
    error LedgerTooManyTokens(uint256 campaignId, uint256 max);
    /// @notice Token and feed decimals must each be at most 36, and together at least 8.
    error LedgerUnsupportedDecimals(address token, uint8 tokenDecimals, uint8 feedDecimals);
    /// @notice The campaign does not accept `token`.
    error LedgerTokenNotAccepted(uint256 campaignId, address token);
    /// @notice `token` cannot be pledged with {pledgeToken} (the zero address: pledge ETH with {pledge}).
    error LedgerInvalidToken(address token);
    /// @notice Tokens and their feeds are fixed while round `roundId` is open: accept or re-price `token` after
    /// it closes.
    error LedgerTokensLocked(uint256 campaignId, address token, uint256 roundId);
    /// @notice A new round cannot be opened while round `roundId` is open.
    error LedgerRoundStillOpen(uint256 campaignId, uint256 roundId);
    /// @notice The round window is empty or already over.
    error LedgerInvalidRoundWindow(uint40 start, uint40 end);
    /// @notice `goalUsd` must be positive.
    error LedgerInvalidGoal(uint80 goalUsd);
    /// @notice No round `roundId` exists in campaign `campaignId`.
    error LedgerUnknownRound(uint256 campaignId, uint256 roundId);
    /// @notice The round is not in the Open state.
    error LedgerRoundNotOpen(uint256 campaignId, uint256 roundId);
    /// @notice The round has not started yet.
    error LedgerRoundNotStarted(uint256 campaignId, uint256 roundId, uint40 start);
    /// @notice The round's end has passed; it only awaits closing.
    error LedgerRoundEnded(uint256 campaignId, uint256 roundId, uint40 end);
    /// @notice The round can be closed only after its end, or earlier by its manager once its goal is met.
    error LedgerRoundNotEnded(uint256 campaignId, uint256 roundId, uint40 end);
    /// @notice `amount` must be positive.
    error LedgerInvalidPledgeAmount(uint256 amount);
    /// @notice The transfer of `amount` of `token` delivered nothing to the ledger.
    error LedgerNothingReceived(address token, uint256 amount);
    /// @notice The feed's answer is older than the token's `maxStaleness`.
    error LedgerStalePrice(address feed, uint256 updatedAt, uint256 maxStaleness);
    /// @notice The feed's answer is not a positive price.
    error LedgerInvalidPrice(address feed, int256 answer);
    /// @notice The round's funds are not refundable.
    error LedgerNotRefundable(uint256 campaignId, uint256 roundId);
    /// @notice `donor` has nothing left to refund in this round and token.
    error LedgerNothingToRefund(uint256 campaignId, uint256 roundId, address token, address donor);
    /// @notice A refund batch may hold at most `max` donors.
    error LedgerBatchTooLarge(uint256 size, uint256 max);
    /// @notice Too little gas is left to refund the next donor of a pushed batch with its full gas allowance.
    error LedgerInsufficientGas(uint256 gasLeft, uint256 needed);
    /// @notice `supplier` is not approved for the campaign.
    error LedgerSupplierNotApproved(uint256 campaignId, address supplier);
    /// @notice `supplier`'s approval takes effect only at `effectiveAt`.
    error LedgerSupplierNotEffective(uint256 campaignId, address supplier, uint48 effectiveAt);
    /// @notice `supplier` cannot be a supplier (the zero address, or the ledger itself).
    error LedgerInvalidSupplier(address supplier);
    /// @notice `recordHash` must be set (non-zero).
    error LedgerInvalidRecordHash(bytes32 recordHash);
    /// @notice A disbursement's `amount` must be positive.
    error LedgerInvalidDisbursementAmount(uint256 amount);
    /// @notice `purchaseOrderRef` must be set (non-zero).
    error LedgerInvalidPurchaseOrderRef(bytes32 purchaseOrderRef);
    /// @notice `invoiceHash` must be set (non-zero).
    error LedgerInvalidInvoiceHash(bytes32 invoiceHash);
    /// @notice The campaign holds only `available` spendable base units of `token`.
    error LedgerInsufficientFunds(uint256 campaignId, address token, uint256 requested, uint256 available);
    /// @notice Sending ETH to `to` failed.
    error LedgerEthTransferFailed(address to, uint256 amount);
    /// @notice `reportHash` must be set (non-zero).
    error LedgerInvalidReportHash(bytes32 reportHash);
    /// @notice `auditor` already attested `reportHash` for the campaign.
    error LedgerAlreadyAttested(uint256 campaignId, bytes32 reportHash, address auditor);

    // ─── Campaigns (admin) ───────────────────────────────────────────────────────────────────────────

    /// @notice Create a campaign run by `manager` for `beneficiary`.
    /// @dev Emits {CampaignCreated}. Requires the admin role, a non-zero manager and a supplier delay between
    /// `MIN_SUPPLIER_DELAY` and `MAX_SUPPLIER_DELAY`.
    /// @param manager The account that opens and closes rounds, vets suppliers and disburses.
    /// @param beneficiary Human-readable beneficiary label, e.g. "WAHO, ECOWAS".
    /// @param metadataHash Hash of the off-chain campaign record.
    /// @param supplierDelay Seconds between a supplier's approval and the first time it can be paid; fixed for
    /// the campaign's life, so that the guardian always has this long to revoke an approval.
    /// @return campaignId The new campaign's id (ids start at 1).
    function createCampaign(address manager, string calldata beneficiary, bytes32 metadataHash, uint32 supplierDelay)
        external
        returns (uint256 campaignId);

    /// @notice Accept `token` (address(0) for ETH) priced by `feed`, or change the feed of an accepted token.
    /// @dev Emits {TokenAccepted}. Requires the admin role, an existing campaign that is not cancelled and has no
    /// open round (a round's prices must not change under its donors), a non-zero feed and staleness bound, at
    /// most `MAX_TOKENS` tokens per campaign, and supported decimals.
    /// @param campaignId The campaign.
    /// @param token The ERC-20 token, or address(0) for native ETH.
    /// @param feed A Chainlink-style USD price feed for the token.
    /// @param maxStaleness The oldest feed answer, in seconds, that a pledge accepts.
    function acceptToken(uint256 campaignId, address token, address feed, uint32 maxStaleness) external;

    /// @notice Replace a campaign's manager.
    /// @dev Emits {CampaignManagerChanged}. Requires the admin role and a non-zero manager.
    /// @param campaignId The campaign.
    /// @param newManager The new manager.
    function setManager(uint256 campaignId, address newManager) external;

    // ─── Protection (guardian or admin, immediate) ───────────────────────────────────────────────────

    /// @notice Cancel a campaign: its open round (if any) becomes refundable in full, and what remains unspent of
    /// its closed rounds becomes refundable pro rata to those rounds' donors (the last claimant of a token takes
    /// what rounding left, so the refunds add up to exactly what remained).
    /// @dev Emits {CampaignCancelled} and, if a round was open, {RoundClosed} with outcome Cancelled. Requires the
    /// guardian or the admin role and a campaign that is not already cancelled.
    /// @param campaignId The campaign.
    function cancelCampaign(uint256 campaignId) external;

    /// @notice Stop a campaign's disbursements until {unpauseCampaign}. Pledges, closes and refunds go on.
    /// @dev Emits {CampaignPaused}. Requires the guardian or the admin role and a campaign that is not paused.
    /// @param campaignId The campaign.
    function pauseCampaign(uint256 campaignId) external;

    /// @notice Resume a paused campaign's disbursements.
    /// @dev Emits {CampaignUnpaused}. Requires the guardian or the admin role and a paused campaign.
    /// @param campaignId The campaign.
    function unpauseCampaign(uint256 campaignId) external;

    // ─── Rounds (manager; closing after the end: anyone) ─────────────────────────────────────────────

    /// @notice Open a funding round from `start` to `end` (exclusive) with a USD goal.
    /// @dev Emits {RoundOpened}. Requires the campaign's manager, a campaign that is not cancelled, no other open
    /// round, `start < end`, `end` in the future and a non-zero goal.
    /// @param campaignId The campaign.
    /// @param start First second at which pledges are accepted.
    /// @param end First second at which pledges are no longer accepted.
    /// @param goalUsd The goal in USD with 8 decimals.
    /// @param allOrNothing If true, a round that misses its goal is refunded; otherwise its funds are kept.
    /// @return roundId The new round's id within the campaign (ids start at 1).
    function openRound(uint256 campaignId, uint40 start, uint40 end, uint80 goalUsd, bool allOrNothing)
        external
        returns (uint256 roundId);

    /// @notice Close a round, fixing its outcome. Anyone may close it once its end has passed; its manager may
    /// also close it earlier, once its goal is met.
    /// @dev Emits {RoundClosed}. Requires an open round.
    /// @param campaignId The campaign.
    /// @param roundId The round.
    /// @return outcome Succeeded if the goal was met, Failed otherwise.
    function closeRound(uint256 campaignId, uint256 roundId) external returns (RoundState outcome);

    // ─── Pledges (anyone) ────────────────────────────────────────────────────────────────────────────

    /// @notice Pledge the ETH sent with this call to an open round.
    /// @dev Emits {Pledged}. Requires a running round, ETH accepted by the campaign, a non-zero value and a fresh,
    /// positive price.
    /// @param campaignId The campaign.
    /// @param roundId The open round.
    function pledge(uint256 campaignId, uint256 roundId) external payable;

    /// @notice Pledge `amount` of an ERC-20 (approved beforehand) to an open round. The amount credited is what
    /// the contract actually received, so fee-on-transfer tokens are credited net of the fee.
    /// @dev Emits {Pledged}. Same requirements as {pledge}, and the transfer must deliver a non-zero amount.
    /// @param campaignId The campaign.
    /// @param roundId The open round.
    /// @param token The ERC-20 token.
    /// @param amount The amount to transfer from the caller, in base units.
    function pledgeToken(uint256 campaignId, uint256 roundId, address token, uint256 amount) external;

    // ─── Refunds (donors, anyone) ────────────────────────────────────────────────────────────────────

    /// @notice Claim the caller's refund of `token` from a refundable round.
    /// @dev Emits {Refunded}. Requires a refundable round and an outstanding pledge.
    /// @param campaignId The campaign.
    /// @param roundId The round.
    /// @param token The token pledged (address(0) for ETH).
    /// @return amount The amount returned.
    function claimRefund(uint256 campaignId, uint256 roundId, address token) external returns (uint256 amount);

    /// @notice Send refunds of `token` to up to `MAX_REFUND_BATCH` donors, paid for by the caller, so small donors
    /// need not pay gas. Donors with nothing left are skipped; a donor that rejects the transfer, or spends more
    /// than `PUSH_REFUND_GAS` receiving ETH, keeps its claim.
    /// @dev Emits {Refunded} per refund sent and {RefundDeferred} per rejected one. Requires a refundable round, and
    /// reverts with {LedgerInsufficientGas} rather than short-change a donor's gas allowance. ETH is sent without
    /// copying what the donor returns, so no donor can make the batch run out of gas.
    /// @param campaignId The campaign.
    /// @param roundId The round.
    /// @param token The token pledged (address(0) for ETH).
    /// @param donors The donors to refund.
    /// @return total The total amount sent.
    function pushRefunds(uint256 campaignId, uint256 roundId, address token, address[] calldata donors)
        external
        returns (uint256 total);

    // ─── Suppliers and payments (manager) ────────────────────────────────────────────────────────────

    /// @notice Approve `supplier` for the campaign, anchoring the hash of its off-chain vetting record. The
    /// approval takes effect after the campaign's supplier delay; approving an approved supplier again (a new
    /// record) starts the delay again.
    /// @dev Emits {SupplierApproved}. Requires the campaign's manager, a campaign that is not cancelled, a
    /// non-zero supplier other than the ledger itself, and a non-zero record hash.
    /// @param campaignId The campaign.
    /// @param supplier The supplier's payment address.
    /// @param recordHash Hash of the supplier's off-chain record.
    function approveSupplier(uint256 campaignId, address supplier, bytes32 recordHash) external;

    /// @notice Revoke a supplier's approval, pending or effective; it can no longer be paid.
    /// @dev Emits {SupplierRevoked}. Requires the campaign's manager, the guardian or the admin, and an approved
    /// supplier.
    /// @param campaignId The campaign.
    /// @param supplier The supplier.
    function revokeSupplier(uint256 campaignId, address supplier) external;

    /// @notice Pay an approved supplier from the campaign's spendable funds.
    /// @dev Emits {Disbursed}. Requires the campaign's manager, a campaign that is neither cancelled nor paused, a
    /// supplier whose approval is effective, a non-zero amount no larger than the campaign's available funds in
    /// `token`, and non-zero purchase order reference and invoice hash.
    /// @param campaignId The campaign.
    /// @param token The token to pay in (address(0) for ETH).
    /// @param supplier The supplier.
    /// @param amount The amount in base units.
    /// @param purchaseOrderRef The purchase order's reference.
    /// @param invoiceHash SHA-256 of the invoice document.
    function disburse(
        uint256 campaignId,
        address token,
        address supplier,
        uint256 amount,
        bytes32 purchaseOrderRef,
        bytes32 invoiceHash
    ) external;

    // ─── Attestations (auditor) ──────────────────────────────────────────────────────────────────────

    /// @notice Anchor the hash (or Merkle root) of a reconciliation report for the campaign.
    /// @dev Emits {ReportAttested}. Requires the auditor role, an existing campaign, a non-zero hash, and that the
    /// caller has not attested the same hash before.
    /// @param campaignId The campaign.
    /// @param reportHash The report's hash.
    /// @param asOfBlock The block the report was computed at.
    /// @param uri Where the report can be read (may be empty).
    function attestReport(uint256 campaignId, bytes32 reportHash, uint256 asOfBlock, string calldata uri) external;

    // ─── Views ───────────────────────────────────────────────────────────────────────────────────────

    /// @notice Number of campaigns created.
    function campaignCount() external view returns (uint256);

    /// @notice A campaign's manager, metadata hash, round count, cancellation and pause flags, supplier delay and
    /// accepted tokens.
    function campaign(uint256 campaignId) external view returns (CampaignInfo memory);

    /// @notice A round's window, state, goal and raised USD.
    function round(uint256 campaignId, uint256 roundId) external view returns (Round memory);

    /// @notice How the campaign prices `token`.
    function tokenConfig(uint256 campaignId, address token) external view returns (TokenConfig memory);

    /// @notice A donor's outstanding pledge in a round, in base units of `token`: what they pledged, or 0 once they
    /// have taken their refund (in full, or their pro-rata share of what a cancelled campaign left unspent).
    function pledgeOf(uint256 campaignId, uint256 roundId, address token, address donor)
        external
        view
        returns (uint256);

    /// @notice A round's pledged and refunded totals in `token`.
    function roundTokenTotals(uint256 campaignId, uint256 roundId, address token)
        external
        view
        returns (uint256 pledged, uint256 refunded);

    /// @notice A campaign's totals in `token`: pledged, refunded, disbursed, held (= pledged − refunded −
    /// disbursed) and available (spendable and not yet disbursed; 0 once cancelled).
    function tokenTotals(uint256 campaignId, address token) external view returns (TokenTotals memory);

    /// @notice What `donor` would receive by claiming a refund now (0 if the round is not refundable).
    function refundableAmount(uint256 campaignId, uint256 roundId, address token, address donor)
        external
        view
        returns (uint256);

    /// @notice What remains to be shared pro rata of a cancelled campaign's `token`, and the outstanding pledges
    /// it is shared between (both 0 before a cancellation).
    function refundPool(uint256 campaignId, address token) external view returns (uint256 pool, uint256 base);

    /// @notice A supplier's approval: its record hash (zero if not approved) and when it takes effect.
    function supplierApproval(uint256 campaignId, address supplier) external view returns (SupplierApproval memory);

    /// @notice When `auditor` attested `reportHash` for the campaign (0 if never).
    function attestedAt(uint256 campaignId, bytes32 reportHash, address auditor) external view returns (uint256);
}
