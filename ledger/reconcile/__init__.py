"""Reconciliation: where every unit pledged to a campaign went, and what does not add up.

``reconcile_campaign`` builds a :class:`CampaignReport` from the SQL mirror and the off-chain records
(optionally checked against the chain by a :class:`MirrorVerifier`); ``donor_view`` shows one donor's
pledges, shares and what they bought; ``report_csv_rows`` flattens a report for a CSV export;
``pending_changes`` lists what is scheduled on chain and not yet in force.
"""

from ledger.reconcile.cache import ReconcileCache
from ledger.reconcile.campaign import reconcile_campaign
from ledger.reconcile.changes import PendingChange
from ledger.reconcile.donor import DonorView, donor_view
from ledger.reconcile.mirror_check import MirrorVerifier
from ledger.reconcile.pending import pending_changes
from ledger.reconcile.render import CSV_COLUMNS, report_csv_rows
from ledger.reconcile.report import (
    SEVERITY,
    CampaignReport,
    Finding,
    ReconcileOptions,
    report_hash,
)

__all__ = [
    "CSV_COLUMNS",
    "SEVERITY",
    "CampaignReport",
    "DonorView",
    "Finding",
    "MirrorVerifier",
    "PendingChange",
    "ReconcileCache",
    "ReconcileOptions",
    "donor_view",
    "pending_changes",
    "reconcile_campaign",
    "report_csv_rows",
    "report_hash",
]
