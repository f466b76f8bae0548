// The dashboard: reads only the public API (/api/v1) and shows where a campaign's money went. No build step:
// D3 and d3-sankey (from npm, served by the app) are classic deferred scripts that run before these modules.
// Every figure is the server's: the fund flow comes computed (GET /campaigns/{id}/flow), amounts are shown
// exactly (BigInt over decimal strings). The page polls with If-None-Match (see api.js).

import { allPages, getJson } from "./api.js";
import { $, el } from "./dom.js";
import { showDonor } from "./donor.js";
import { showFlow } from "./flow.js";
import { state } from "./state.js";
import {
  showAttestations,
  showCampaigns,
  showError,
  showFindings,
  showOrders,
  showPending,
  showRounds,
  showStatus,
  showTokens,
  showTotals,
} from "./views.js";

const REFRESH_MS = 5000; // how often the page asks whether the indexer or the records moved
const MAX_DONOR_OPTIONS = 500; // donor addresses offered in the lookup's list

/** The documents of ``report``'s orders by order id, from one list read (not one request per order). */
function documentsByOrder(report, documents) {
  const byOrder = new Map(report.orders.map((o) => [o.order_id, []]));
  for (const d of documents) byOrder.get(d.order_id)?.push(d);
  return byOrder;
}

/** Show campaign ``id``; ``keepDonor`` looks the shown donor up again instead of clearing the lookup. */
async function selectCampaign(id, { keepDonor = false } = {}) {
  const generation = ++state.generation;
  state.selected = id;
  history.replaceState(null, "", `#campaign=${id}`);
  for (const card of document.querySelectorAll("#campaigns .card")) {
    card.setAttribute("aria-current", String(card.dataset.campaign === id));
  }
  const section = $("campaign");
  section.setAttribute("aria-busy", "true");
  const [detail, report, flow, pledges, attestations, pending, documents] = await Promise.all([
    getJson(`/campaigns/${id}`),
    getJson(`/campaigns/${id}/reconciliation`),
    getJson(`/campaigns/${id}/flow`),
    allPages(`/pledges?campaign_id=${id}`, 1),
    allPages(`/attestations?campaign_id=${id}`, 1),
    getJson(`/campaigns/${id}/pending-changes`),
    allPages("/documents"),
  ]);
  if (generation !== state.generation) return;
  state.report = report;
  state.documents = documentsByOrder(report, documents.rows);
  state.symbols = new Map(detail.tokens.filter((t) => t.symbol).map((t) => [t.token.toLowerCase(), t.symbol]));
  const summary = state.campaigns.find((c) => c.campaign_id === id);
  const paused = el("span", { class: "paused", title: `Paused by ${detail.paused_by}` }, "disbursements paused");
  const title = `Campaign ${id}${summary ? ` for ${summary.beneficiary}` : ""}`;
  $("campaign-title").replaceChildren(title, ...(detail.paused ? [paused] : [])); // (a null would show as "null")
  showTotals(report);
  showRounds(report);
  showFlow(flow);
  showTokens(report);
  showOrders(report);
  showFindings(report);
  showAttestations(report, attestations.rows);
  showPending(pending);
  const donors = [...new Set(pledges.rows.map((p) => p.donor))].slice(0, MAX_DONOR_OPTIONS);
  $("donor-addresses").replaceChildren(...donors.map((d) => el("option", { value: d })));
  section.hidden = false;
  $("donor").hidden = false;
  section.setAttribute("aria-busy", "false");
  if (keepDonor && state.donor) await showDonor(state.donor);
  else {
    state.donor = null;
    $("donor-result").replaceChildren();
  }
}

function guarded(action) {
  return (...args) => action(...args).catch(showError);
}

/** Follow the indexer and the records: redraw what changed. The flow names the report it was drawn from,
 * whose hash covers both; unchanged, it comes back as 304 Not Modified where the server sends ETags. */
async function refresh() {
  if (state.refreshing) return;
  state.refreshing = true;
  try {
    await Promise.all([showStatus(), showCampaigns()]);
    if (state.selected !== null && state.report !== null) {
      const { report_hash } = await getJson(`/campaigns/${state.selected}/flow`);
      if (report_hash !== state.report.report_hash) await selectCampaign(state.selected, { keepDonor: true });
    }
    $("error").hidden = true;
  } finally {
    state.refreshing = false;
  }
}

async function start() {
  await Promise.all([showStatus(), showCampaigns()]);
  setInterval(guarded(refresh), REFRESH_MS);
  const wanted = new URLSearchParams(location.hash.slice(1));
  const ids = state.campaigns.map((c) => c.campaign_id);
  const id = ids.includes(wanted.get("campaign")) ? wanted.get("campaign") : ids.at(-1);
  if (id !== undefined) await selectCampaign(id);
}

$("campaigns").addEventListener(
  "click",
  guarded(async (event) => {
    const button = event.target.closest("button[data-select]");
    if (button) await selectCampaign(button.dataset.select);
  }),
);
$("donor-form").addEventListener(
  "submit",
  guarded(async (event) => {
    event.preventDefault();
    await showDonor($("donor-address").value.trim());
  }),
);
guarded(start)();
