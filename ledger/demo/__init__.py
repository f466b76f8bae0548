"""``pledgeledger up --demo``: the reference campaign of SCENARIO.md played through the real contracts and
the real API."""

from ledger.demo.api_client import ApiClient
from ledger.demo.chain import DemoChain
from ledger.demo.scenario import DemoResult, play_reference_campaign
from ledger.errors import DemoApiError

__all__ = ["ApiClient", "DemoApiError", "DemoChain", "DemoResult", "play_reference_campaign"]
