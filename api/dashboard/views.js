// The page's sections other than the fund flow and the donor's view: the indexer's badge and halt banner,
// the campaign cards, and the selected campaign's totals, rounds, tokens, orders, findings, attestations and
// pending changes. Each draws what the API answered, as it is.

import { allPages, getJson } from "./api.js";
import { $, el, table } from "./dom.js";
import { count, day, short, tokenAmount, usd, usdUnits, utc } from "./format.js";
import { state, tokenName } from "./state.js";

export const tokenCode = (token) => el("code", { title: token }, tokenName(token));
export const txCode = (hash) => el("code", { class: "tx", title: "Transaction hash" }, hash);

export function showError(error) {
  const box = $("error");
  box.textContent = `Could not read the API: ${error.message}`;
  box.hidden = false;
}

// ─── the indexer ────────────────────────────────────────────────────────────────────────────────────────

export async function showStatus() {
  const badge = $("indexer");
  try {
    const { data } = await getJson("/status");
    // Set only when it changes: the badge is a live region, read out on every change.
    const text = data.length
      ? data
          .map((s) => {
            if (s.halted) return `Indexer: halted at block ${count(s.halt.block)}`;
            const lag = s.lag === 0 ? "up to date" : `${count(s.lag)} block${s.lag === 1 ? "" : "s"} behind`;
            return `Indexer: block ${count(s.indexed_block)} of ${count(s.head_block)} · ${lag}`;
          })
          .join("; ")
      : "Indexer: not started yet";
    if (badge.textContent !== text) badge.textContent = text;
    showHalt(data.filter((s) => s.halted));
    if (!data.length) return;
    badge.classList.toggle(
      "behind",
      data.some((s) => s.lag > 0),
    );
    badge.classList.toggle(
      "halted",
      data.some((s) => s.halted),
    );
    badge.title = `Last update ${new Date(data[0].updated_at).toLocaleString()} · chain ${data[0].chain_id}`;
  } catch {
    badge.textContent = "Indexer: status unavailable";
  }
}

/** The banner of a halted indexer: what it found, since when, and that nothing on the page is final. */
function showHalt(halted) {
  const banner = $("halted");
  const text = halted
    .map(
      (s) =>
        `The indexer of chain ${s.chain_id} is halted since ${utc(s.halt.since)}, at block ${count(s.halt.block)}: ` +
        `${s.halt.reason}. Until it resumes, nothing on this page is final: the chain may no longer hold it.`,
    )
    .join(" ");
  if (banner.textContent !== text) banner.textContent = text; // an alert: read out on every change
  banner.hidden = !halted.length;
}

// ─── campaigns ──────────────────────────────────────────────────────────────────────────────────────────

/** "1 round refundable: $5,000.00, not counted": the rounds left out of the progress (cancelled, or failed
 * all-or-nothing; a failed keep-what-you-raise round counts, as the contract spends it). */
function refundableNote(c) {
  if (!c.refundable_rounds) return "";
  const n = c.refundable_rounds;
  const pledged = BigInt(c.raised_usd) - BigInt(c.progress_raised_usd);
  return ` · ${n} round${n === 1 ? "" : "s"} refundable: ${usdUnits(String(pledged))}, not counted`;
}

/** A campaign's card: progress over its rounds that did not fail or get cancelled (their pledges go back). */
function campaignCard(c) {
  const pct = Number(c.progress_pct);
  return el(
    "li",
    {
      class: "card",
      "data-campaign": c.campaign_id,
      "data-paused": String(c.paused),
      "aria-current": String(c.campaign_id === state.selected),
    },
    el(
      "h3",
      {},
      `Campaign ${c.campaign_id}`,
      c.cancelled ? " (cancelled)" : "",
      c.paused ? el("span", { class: "paused" }, "paused") : null,
    ),
    el("p", {}, "For ", el("strong", {}, c.beneficiary)),
    el(
      "p",
      {},
      el("strong", { class: "raised" }, usdUnits(c.progress_raised_usd)),
      ` raised of ${usdUnits(c.progress_goal_usd)}`,
    ),
    el("progress", { max: "100", value: String(Math.min(pct, 100)), "aria-label": `${c.progress_pct}% of the goal` }),
    el("p", { class: "hint" }, `${c.progress_pct}% of the goal${refundableNote(c)} · created ${day(c.created_at)}`),
    el("button", { type: "button", "data-select": c.campaign_id, "aria-controls": "campaign" }, "Follow the money"),
  );
}

/** The campaign cards, drawn again only when the list changed; says whether it did. */
export async function showCampaigns() {
  const list = $("campaigns");
  const { rows } = await allPages("/campaigns", 10);
  if (list.getAttribute("aria-busy") === "false" && JSON.stringify(rows) === JSON.stringify(state.campaigns))
    return false;
  state.campaigns = rows;
  list.replaceChildren(...rows.map(campaignCard));
  if (!rows.length)
    list.append(el("li", { class: "card" }, "No campaign yet: start one with `pledgeledger up --demo`."));
  list.setAttribute("aria-busy", "false");
  return true;
}

export function showTotals(report) {
  const figure = (id, term, value) => el("div", {}, el("dt", {}, term), el("dd", { id }, value));
  $("totals").replaceChildren(
    figure("total-raised", "Raised (USD at pledge)", usd(report.pledged_usd)),
    figure("total-pledges", "Pledges", count(report.pledges)),
    figure("total-donors", "Donors", count(report.donors)),
    figure("total-orders", "Purchase orders", count(report.procurement.orders)),
    figure("total-findings", "Findings", count(report.findings.length)),
    figure("total-block", "As of block", count(report.as_of_block)),
  );
}

export function showRounds(report) {
  const rows = report.rounds.map((r) => {
    const goal = Number(r.goal_usd);
    const pct = goal > 0 ? (Number(r.raised_usd) / goal) * 100 : 0;
    return [
      `Round ${r.round_id}`,
      r.outcome,
      `${day(r.start)} → ${day(r.end)}`,
      usd(r.raised_usd),
      usd(r.goal_usd),
      el("progress", { max: "100", value: String(Math.min(pct, 100)), "aria-label": `${pct.toFixed(2)}% of the goal` }),
    ];
  });
  $("rounds").replaceChildren(
    table(["Round", "Outcome", "Dates", "Raised", "Goal", "Progress"], rows, { numeric: [3, 4] }),
  );
}

export function showTokens(report) {
  $("tokens").tBodies[0].replaceChildren(
    ...report.tokens.map((t) =>
      el(
        "tr",
        { "data-token": t.token },
        el("td", {}, tokenCode(t.token)),
        el("td", { class: "num" }, tokenAmount(t.pledged, t.decimals)),
        el("td", { class: "num" }, usd(t.pledged_usd)),
        el("td", { class: "num" }, tokenAmount(t.refunded, t.decimals)),
        el("td", { class: "num" }, tokenAmount(t.disbursed, t.decimals)),
        el("td", { class: "num" }, tokenAmount(t.held, t.decimals)),
      ),
    ),
  );
}

function documentLinks(orderId) {
  const documents = state.documents.get(orderId) ?? [];
  return documents.map((d) =>
    el("span", {}, " ", el("a", { href: d.content_url, title: `SHA-256 ${d.sha256}` }, d.kind.replaceAll("_", " "))),
  );
}

export function showOrders(report) {
  const decimals = new Map(report.tokens.map((t) => [t.token, t.decimals]));
  $("orders").tBodies[0].replaceChildren(
    ...report.orders.flatMap((o) =>
      o.lines.map((line) =>
        el(
          "tr",
          {},
          el("td", {}, o.reference, documentLinks(o.order_id)),
          el("td", {}, o.supplier_name),
          el("td", {}, `${line.item} (${line.unit})`),
          el("td", { class: "num" }, count(line.quantity)),
          el(
            "td",
            { class: "num" },
            tokenAmount(o.paid, decimals.get(o.payment_token) ?? 18),
            " ",
            tokenCode(o.payment_token),
          ),
          el("td", { class: "num" }, count(line.shipped)),
          el("td", { class: "num" }, count(line.delivered)),
          el("td", { class: "num" }, count(line.distributed)),
        ),
      ),
    ),
  );
  if (!report.orders.length) {
    $("orders").tBodies[0].append(el("tr", {}, el("td", { colspan: "8" }, "No purchase order yet.")));
  }
}

export function showFindings(report) {
  const box = $("findings");
  const check = report.chain_check;
  const checked = el(
    "p",
    { class: "hint" },
    check.status === "not_checked" || !check.block
      ? "Not checked against the chain (the API has no node)."
      : `Chain check at block ${count(check.block)}: ${check.status}, ${count(check.values_compared)} values compared.`,
    ` Report hash `,
    el("code", {}, report.report_hash),
  );
  if (!report.findings.length) {
    box.replaceChildren(el("p", { class: "clean" }, "No findings: every unit pledged is accounted for."), checked);
    return;
  }
  box.replaceChildren(
    el(
      "ul",
      { class: "findings" },
      report.findings.map((f) =>
        el(
          "li",
          { class: `finding ${f.severity}` },
          el("span", { class: "badge" }, f.severity),
          el("strong", {}, f.kind),
          ": ",
          f.message,
        ),
      ),
    ),
    checked,
  );
}

/** The report hashes auditors attested on chain; their ``uri`` is the auditor's, linked only if it is http(s). */
export function showAttestations(report, attestations) {
  const box = $("attestations");
  if (!attestations.length) {
    box.replaceChildren(el("p", { class: "hint" }, "No auditor has attested a report of this campaign on chain yet."));
    return;
  }
  box.replaceChildren(
    el(
      "ul",
      { class: "attestations" },
      attestations.map((a) =>
        el(
          "li",
          {},
          `Auditor ${short(a.auditor)} attested report `,
          /^https?:\/\//.test(a.uri)
            ? el("a", { href: a.uri, rel: "noopener noreferrer nofollow" }, el("code", {}, a.report_hash))
            : el("code", {}, a.report_hash),
          ` as of block ${count(a.as_of_block)}`,
          a.report_hash === report.report_hash ? " (the report shown here)" : "",
          `, in block ${count(a.block_number)}, transaction `,
          txCode(a.tx_hash),
          ` (${a.confirmation}).`,
        ),
      ),
    ),
  );
}

const PENDING_KINDS = {
  supplier_approval: "Supplier approval",
  timelock_operation: "Timelock operation",
  admin_transfer: "Admin transfer",
  admin_delay_change: "Admin delay change",
};

/** A pending change: what, when it takes effect (or is ready), and a timelock operation's decoded calls. */
function pendingItem(change) {
  const when = utc(change.effective_at, change.effective_at_unix);
  const timing =
    change.kind === "timelock_operation" || change.kind === "admin_transfer"
      ? change.ready
        ? `Ready since ${when}`
        : `Ready from ${when}`
      : `Takes effect ${when}`;
  const scope = change.all_campaigns ? "Touches every campaign" : `Campaign ${change.campaign_ids.join(", ")}`;
  const parts = [
    el("span", { class: "badge" }, PENDING_KINDS[change.kind] ?? change.kind),
    el("strong", { class: "when" }, timing),
    el("p", { class: "what" }, change.description),
    el(
      "p",
      { class: "hint" },
      `${scope} · scheduled in block ${count(change.scheduled_block)}, transaction `,
      txCode(change.tx_hash),
    ),
  ];
  if (change.operation) {
    parts.push(
      el(
        "ol",
        { class: "calls", start: "0" },
        change.operation.calls.map((call) =>
          el(
            "li",
            { "data-function": call.function ?? "" },
            el("code", { title: call.signature ?? call.data }, call.text),
            call.arguments.length
              ? el(
                  "ul",
                  {},
                  call.arguments.map((a) =>
                    el("li", {}, `${a.name}: `, el("code", {}, Array.isArray(a.value) ? a.value.join(", ") : a.value)),
                  ),
                )
              : null,
          ),
        ),
      ),
    );
  }
  return el("li", { class: `pending ${change.ready ? "ready" : ""}`, "data-kind": change.kind }, parts);
}

export function showPending(pending) {
  const box = $("pending");
  if (!pending.data.length) {
    box.replaceChildren(el("p", { class: "clean" }, "Nothing pending: every change on chain is in force."));
    return;
  }
  box.replaceChildren(
    el("ul", { class: "pending-list" }, pending.data.map(pendingItem)),
    el("p", { class: "hint" }, `As of block ${count(pending.as_of_block)} (${utc(pending.as_of_time, "")}).`),
  );
}
