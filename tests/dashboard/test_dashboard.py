"""The dashboard in a real headless Chromium (Debian's ``chromium``, driven by Playwright): served by uvicorn
from the reference campaign indexed off the session's Anvil, it shows the API's totals, draws the server's
fund flow (with no request per order, shipment or delivery), finds a donor's pledges and proofs, follows new
pledges without a reload while polling with If-None-Match, fits a phone's width, and logs no console error."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from devtools.served import served_api
from ledger.db.engine import make_engine
from ledger.paths import PROJECT_ROOT
from tests.api.support import scratch_database
from tests.dashboard.support import (
    AUDITED_HASH,
    NAMED_TOKENS,
    SHALLOW_FINALITY,
    campaign_with_refunds,
    halted_mirror,
    pause_and_schedule_an_admin_transfer,
    pledge_in_new_round,
)
from tests.indexer.support import rpc_url, run_indexer
from tests.support.chain import LedgerEnv

CHROMIUM = Path(os.environ.get("PLEDGELEDGER_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless Chromium; skipped when it or Playwright is missing, except under CI (a failure there)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not CHROMIUM.is_file():
        message = f"the dashboard test needs Playwright and Chromium at {CHROMIUM} (scripts/setup-browser)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()


#: Nodes of the reference campaign's fund flow, one from each column past the tokens.
FLOW_LABELS = ("Round 2 (failed)", "Refunded to donors", "Held by the contract", "Shenzhen PPE", "Togo")


def token_label(address: str, symbols: dict[str, str]) -> str:
    """As the page names a token: its recorded symbol, else ETH for the zero address, else its address."""
    if address in symbols:
        return symbols[address]
    return "ETH" if int(address, 16) == 0 else f"{address[:6]}…{address[-4:]}"


def usd(value: Decimal) -> str:
    """As the page shows US dollars: to the cent, halves rounded up."""
    return f"${value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"


#: Requests the page must not make: one per order, shipment or delivery.
FAN_OUT = ("/shipments", "/deliveries", "/distributions", "order_id=", "shipment_id=", "delivery_id=")


def serve_with_etags(page: Any, base: str) -> dict[int, int]:
    """Route the page's API reads through an ETag layer (the server's own ETag when it sends one, else a
    hash of the body) that answers 304 Not Modified to a matching If-None-Match. Returns the count of
    answers by status, which grows as the page polls."""
    answered: dict[int, int] = {200: 0, 304: 0}

    def with_etags(route: Any) -> None:
        request = route.request
        sent = request.headers.get("if-none-match")
        headers = {k: v for k, v in request.headers.items() if k.lower() != "if-none-match"}
        try:
            response = route.fetch(headers=headers)
        except Exception:  # the server has stopped (the page outlived its test): fail as a network would
            route.abort()
            return
        if response.status != 200:
            route.fulfill(response=response)
            return
        etag = response.headers.get("etag") or f'"{hashlib.sha256(response.body()).hexdigest()[:32]}"'
        if sent == etag:
            answered[304] += 1
            route.fulfill(status=304, headers={"ETag": etag})
        else:
            answered[200] += 1
            route.fulfill(response=response, headers={**response.headers, "etag": etag})

    page.route(f"{base}/api/v1/**", with_etags)
    return answered


@contextlib.contextmanager
def scratch_engine(directory: Path) -> Iterator[tuple[str, Engine]]:
    """A migrated SQLite database of its own: its URL and an engine on it, disposed afterwards."""
    with scratch_database("sqlite", directory) as url:
        engine = make_engine(url)
        try:
            yield url, engine
        finally:
            engine.dispose()


def watched_page(chromium: Any) -> tuple[Any, list[str]]:
    """A new 1280×900 page, and the list its console errors and uncaught exceptions are added to."""
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return page, problems


def token_amount(amount: str, decimals: int) -> str:
    """As the page shows a token amount: at most 4 places, trailing zeros dropped."""
    places = min(decimals, 4)
    text = f"{Decimal(amount).scaleb(-decimals):,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def test_dashboard_shows_totals_fund_flow_and_a_donors_pledges(
    env: LedgerEnv, chromium: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    with scratch_engine(tmp_path) as (url, engine):
        reference = campaign_with_refunds(env, engine)
        donor = reference.donors["Taiyi Group"].address
        campaign = reference.campaign_id
        with served_api(url, rpc_url=rpc_url(env), log=tmp_path / "api.log") as base:
            api = f"{base}/api/v1"
            report = httpx.get(f"{api}/campaigns/{campaign}/reconciliation").json()
            [summary] = httpx.get(f"{api}/campaigns").json()["data"]
            view = httpx.get(f"{api}/campaigns/{campaign}/donors/{donor}").json()
            assert report["findings"] == [] and report["chain_check"]["status"] == "verified"
            assert view["refunds"], "the donor claimed a refund from the failed round"
            detail = httpx.get(f"{api}/campaigns/{campaign}").json()
            symbols = {t["token"]: t["symbol"] for t in detail["tokens"] if t["symbol"] is not None}
            assert sorted(symbols.values()) == sorted(NAMED_TOKENS)
            funded, failed = detail["rounds"]
            assert (funded["state"], failed["state"]) == ("succeeded", "failed")

            page, problems = watched_page(chromium)
            requested: list[str] = []
            page.on("request", lambda r: requested.append(r.url))
            answered = serve_with_etags(page, base)
            page.goto(f"{base}/")

            # The campaign's totals are the API's.
            # The card's progress leaves out the failed round (its pledges are refundable) and says so.
            card = page.locator(f'#campaigns .card[data-campaign="{campaign}"]')
            expect(card.locator(".raised")).to_have_text(
                usd(Decimal(summary["progress_raised_usd"]).scaleb(-8))
            )
            expect(card).to_contain_text(f"raised of {usd(Decimal(summary['progress_goal_usd']).scaleb(-8))}")
            expect(card).to_contain_text(f"{funded['progress_pct']}% of the goal")
            refundable = Decimal(failed["raised_usd"]).scaleb(-8)
            expect(card).to_contain_text(f"1 round refundable: {usd(refundable)}, not counted")
            expect(page.locator("#total-raised")).to_have_text(usd(Decimal(report["pledged_usd"])))
            expect(page.locator("#total-pledges")).to_have_text(str(report["pledges"]))
            expect(page.locator("#total-donors")).to_have_text(str(report["donors"]))
            for token in report["tokens"]:
                cells = page.locator(f'#tokens tr[data-token="{token["token"]}"] td')
                expect(cells).to_have_text(
                    [
                        token_label(token["token"], symbols),
                        token_amount(token["pledged"], token["decimals"]),
                        usd(Decimal(token["pledged_usd"])),
                        token_amount(token["refunded"], token["decimals"]),
                        token_amount(token["disbursed"], token["decimals"]),
                        token_amount(token["held"], token["decimals"]),
                    ]
                )
            expect(page.locator("#findings .clean")).to_contain_text("No findings")
            expect(page.locator("#findings")).to_contain_text("verified")
            expect(page.locator("#indexer")).to_contain_text("up to date")
            expect(page.locator("#attestations li")).to_contain_text("0x" + AUDITED_HASH.hex())
            expect(page.locator("#pending .clean")).to_contain_text("Nothing pending")
            expect(card.locator(".paused")).to_have_count(0)

            # The fund flow: donors through rounds, the supplier and the delivery to the 15 member states.
            flow = page.locator("#flow svg")
            expect(flow).to_be_visible()
            labels = flow.locator(".node text")
            for label in (*FLOW_LABELS, *NAMED_TOKENS):
                expect(labels.filter(has_text=label)).to_have_count(1)
            # 3 donors, 3 tokens, 2 rounds; the supplier, the refunds and what is held; the delivery in Abuja;
            # the 15 member states.
            assert flow.locator(".node rect").count() == 3 + 3 + 2 + 3 + 1 + 15
            assert flow.locator("path.link").count() >= 20
            # It draws the server's flow: every link in the table and every node's amount, as /flow says.
            served = httpx.get(f"{api}/campaigns/{campaign}/flow").json()
            assert served["report_hash"] == report["report_hash"]
            names = {n["id"]: n["name"] for n in served["nodes"]}
            expect(page.locator("#flow-table tbody tr")).to_have_count(len(served["links"]))
            for row, link in zip(page.locator("#flow-table tbody tr").all(), served["links"], strict=True):
                expected = [names[link["source"]], names[link["target"]], usd(Decimal(link["usd"]))]
                expect(row.locator("td")).to_have_text(expected)
            for node in served["nodes"]:
                amount = flow.locator(f'.node[data-node="{node["id"]}"] .amount')
                expect(amount).to_have_text(usd(Decimal(node["usd"])))
            assert [url for url in requested if any(part in url for part in FAN_OUT)] == []
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

            # A donor's lookup (any case): pledges with their transactions, the refund, what the share
            # bought and the invoice behind the payment.
            page.fill("#donor-address", donor.lower())
            page.click("#donor-form button[type=submit]")
            rows = page.locator("#donor-pledges tbody tr")
            expect(rows).to_have_count(len(view["pledges"]))
            for pledge in view["pledges"]:
                expect(rows.filter(has_text=pledge["tx_hash"])).to_have_count(1)
            result = page.locator("#donor-result")
            expect(result).to_contain_text(view["refunds"][0]["tx_hash"])
            expect(result.locator(".bought")).to_contain_text(view["bought"][0]["display"])
            invoice = result.locator(".proof a", has_text="invoice")
            expect(invoice).to_have_count(1)
            document = httpx.get(base + str(invoice.get_attribute("href")))
            assert hashlib.sha256(document.content).hexdigest() == reference.invoice_sha256
            result.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "dashboard-donor.png"), full_page=True)

            # The page follows the indexer: a new pledge shows up without a reload, in the totals, the flow
            # and the donor's pledges.
            pledge_in_new_round(env, url, reference, 1_000)
            raised = Decimal(report["pledged_usd"]) + 1_000
            expect(page.locator("#total-raised")).to_have_text(usd(raised), timeout=20_000)
            expect(labels.filter(has_text="Round 3 (open)")).to_have_count(1)
            expect(rows).to_have_count(len(view["pledges"]) + 1)
            # Polling asks with the ETag it was given and reuses what it has on 304 Not Modified.
            expect(page.locator("#indexer")).to_contain_text("up to date")
            page.wait_for_timeout(6_000)  # one more poll of an unchanged API
            assert answered[304] > 0, answered

            # A pending change (the admin role's transfer, scheduled, touching every campaign) shows with when
            # it can be accepted, and the paused campaign is marked, without a reload.
            pause_and_schedule_an_admin_transfer(env, url, reference)
            [change] = httpx.get(f"{api}/campaigns/{campaign}/pending-changes").json()["data"]
            pending = page.locator("#pending .pending")
            expect(pending).to_have_count(1, timeout=20_000)
            expect(pending).to_contain_text(change["description"])
            when = change["effective_at"][:10] + " " + change["effective_at"][11:16] + " UTC"
            expect(pending.locator(".when")).to_have_text(f"Ready from {when}")
            expect(pending).to_contain_text("Touches every campaign")
            expect(card.locator(".paused")).to_have_text("paused")
            expect(page.locator("#campaign-title .paused")).to_have_text("disbursements paused")
            expect(page.locator("#findings")).to_contain_text("pending_change")
            page.locator("#pending").screenshot(path=str(ARTIFACTS / "dashboard-pending.png"))

            # A phone's width: nothing but the flow's own scroller is wider than the screen.
            page.set_viewport_size({"width": 390, "height": 844})
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            page.screenshot(path=str(ARTIFACTS / "dashboard-narrow.png"), full_page=True)
            assert problems == []
            assert [url for url in requested if any(part in url for part in FAN_OUT)] == []
            page.close()


def test_dashboard_warns_while_the_indexer_is_halted_and_stops_once_it_is_reset(
    env: LedgerEnv, chromium: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    with scratch_engine(tmp_path) as (url, engine):
        reason = halted_mirror(env, engine)
        with served_api(url, rpc_url=None, log=tmp_path / "api.log") as base:
            [status] = httpx.get(f"{base}/api/v1/status").json()["data"]
            page, problems = watched_page(chromium)
            page.goto(f"{base}/")

            banner = page.locator("#halted")
            expect(banner).to_be_visible()
            expect(banner).to_have_attribute("role", "alert")
            block = f"{status['halt']['block']:,}"
            expect(banner).to_contain_text(f"chain {status['chain_id']} is halted since")
            expect(banner).to_contain_text(f"at block {block}")
            expect(banner).to_contain_text(reason)
            expect(banner).to_contain_text("nothing on this page is final")
            expect(page.locator("#indexer")).to_have_text(f"Indexer: halted at block {block}")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dashboard-halted.png"))

            run_indexer(env, engine, SHALLOW_FINALITY, reset=True)  # what the banner's reason says to do
            expect(banner).to_be_hidden(timeout=20_000)
            expect(page.locator("#indexer")).to_contain_text("up to date")
            assert problems == []
