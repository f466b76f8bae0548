// The dashboard: reads only the public API (/api/v1) and shows where a campaign's money went.
// No build step: D3 and d3-sankey (from npm, served by the app) are classic deferred scripts that run
// before this module. Amounts are shown exactly (BigInt); floats only size the fund-flow picture.

const API = "/api/v1";
const ETH = "0x0000000000000000000000000000000000000000";
const MAX_DONOR_NODES = 8; // more donors than this are drawn as one "Other donors" node
const MAX_ORDER_DETAILS = 25; // orders whose deliveries and distributions are read one by one
const HALF_CENT = 0.005; // flows smaller than this (float residue) are not drawn
const MAX_PLEDGE_PAGES = 5; // pledge pages read for the donors column; the rest is drawn as "Other donors"
const LABEL_ROOM = 150; // SVG units right of the last column, for its labels
const d3 = window.d3;

const REFRESH_MS = 5000; // how often the page asks whether the indexer or the records moved
// ``generation`` counts campaign renderings, so that a slow one never overwrites a newer one.
// ``symbols``: the shown campaign's token symbols (from the token records) by lower-case address.
const state = { campaigns: [], selected: null, report: null, documents: new Map(), symbols: new Map(), donor: null, generation: 0, refreshing: false };

// ─── small helpers ──────────────────────────────────────────────────────────────────────────────────────

const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text nodes: API data is never parsed as HTML). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

async function getJson(path) {
  const response = await fetch(API + path, { headers: { Accept: "application/json" } });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const body = await response.json();
      if (typeof body.detail === "string") detail = body.detail;
    } catch {
      // not JSON: keep the status text
    }
    throw new Error(`${detail} (${response.status} from ${path})`);
  }
  return response.json();
}

/** Every row of a keyset-paginated list, up to ``maxPages`` pages; ``complete`` says whether all were read. */
async function allPages(path, maxPages = 20) {
  const rows = [];
  const separator = path.includes("?") ? "&" : "?";
  let cursor = null;
  let pages = 0;
  do {
    const after = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const page = await getJson(`${path}${separator}limit=1000${after}`);
    rows.push(...page.data);
    cursor = page.next_cursor;
    pages += 1;
  } while (cursor && pages < maxPages);
  return { rows, complete: !cursor };
}

/** ``value`` base units with ``decimals`` decimals, rounded to ``places``, with thousands separators. */
function formatUnits(value, decimals, places = 2) {
  let units = BigInt(value);
  const negative = units < 0n;
  if (negative) units = -units;
  let shown = decimals;
  if (decimals > places) {
    const step = 10n ** BigInt(decimals - places);
    units = (units + step / 2n) / step;
    shown = places;
  }
  const base = 10n ** BigInt(shown);
  const whole = (units / base).toLocaleString("en-US");
  const fraction = shown > 0 ? "." + (units % base).toString().padStart(shown, "0") : "";
  return (negative ? "−" : "") + whole + fraction;
}

/** A decimal string ("20000.00000000") as base units of ``decimals`` places. */
function decimalToUnits(text, decimals = 8) {
  const negative = text.startsWith("-");
  const [whole, fraction = ""] = text.replace(/^-/, "").split(".");
  const units = BigInt(whole + fraction.padEnd(decimals, "0").slice(0, decimals));
  return negative ? -units : units;
}

const usdUnits = (units) => "$" + formatUnits(units, 8, 2); // 8-decimal integer strings (chain values)
const usd = (text) => usdUnits(decimalToUnits(text)); // decimal strings (reconciliation)
const usdNumber = (value) => "$" + d3.format(",.2f")(value);
const count = (n) => Number(n).toLocaleString("en-US");
const short = (hex) => (hex.length > 14 ? `${hex.slice(0, 6)}…${hex.slice(-4)}` : hex);
/** A token's recorded symbol; else "ETH" for the zero address (native ether), else its short address. */
const tokenName = (token) => state.symbols.get(token.toLowerCase()) ?? (token.toLowerCase() === ETH ? "ETH" : short(token));
const tokenCode = (token) => el("code", { title: token }, tokenName(token));
const txCode = (hash) => el("code", { class: "tx", title: "Transaction hash" }, hash);
const day = (seconds) => new Date(seconds * 1000).toISOString().slice(0, 10);
const percent = (fraction) => `${(Number(fraction) * 100).toFixed(2)}%`;

/** A token amount: up to 4 places, trailing zeros dropped. */
function tokenAmount(amount, decimals) {
  const text = formatUnits(amount, decimals, Math.min(decimals, 4));
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

function showError(error) {
  const box = $("error");
  box.textContent = `Could not read the API: ${error.message}`;
  box.hidden = false;
}

function table(head, rows, { numeric = [] } = {}) {
  return el(
    "table",
    {},
    el("thead", {}, el("tr", {}, head.map((h, i) => el("th", { scope: "col", class: numeric.includes(i) ? "num" : null }, h)))),
    el("tbody", {}, rows.map((row) => el("tr", {}, row.map((cell, i) => el("td", { class: numeric.includes(i) ? "num" : null }, cell))))),
  );
}

// ─── the indexer ────────────────────────────────────────────────────────────────────────────────────────

async function showStatus() {
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
    badge.classList.toggle("behind", data.some((s) => s.lag > 0));
    badge.classList.toggle("halted", data.some((s) => s.halted));
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
    { class: "card", "data-campaign": c.campaign_id, "data-paused": String(c.paused), "aria-current": String(c.campaign_id === state.selected) },
    el("h3", {}, `Campaign ${c.campaign_id}`, c.cancelled ? " (cancelled)" : "", c.paused ? el("span", { class: "paused" }, "paused") : null),
    el("p", {}, "For ", el("strong", {}, c.beneficiary)),
    el("p", {}, el("strong", { class: "raised" }, usdUnits(c.progress_raised_usd)), ` raised of ${usdUnits(c.progress_goal_usd)}`),
    el("progress", { max: "100", value: String(Math.min(pct, 100)), "aria-label": `${c.progress_pct}% of the goal` }),
    el("p", { class: "hint" }, `${c.progress_pct}% of the goal${refundableNote(c)} · created ${day(c.created_at)}`),
    el("button", { type: "button", "data-select": c.campaign_id, "aria-controls": "campaign" }, "Follow the money"),
  );
}

/** The campaign cards, drawn again only when the list changed; says whether it did. */
async function showCampaigns() {
  const list = $("campaigns");
  const { rows } = await allPages("/campaigns", 10);
  if (list.getAttribute("aria-busy") === "false" && JSON.stringify(rows) === JSON.stringify(state.campaigns)) return false;
  state.campaigns = rows;
  list.replaceChildren(...rows.map(campaignCard));
  if (!rows.length) list.append(el("li", { class: "card" }, "No campaign yet: start one with `pledgeledger up --demo`."));
  list.setAttribute("aria-busy", "false");
  return true;
}

/** Each order's deliveries with their distributions, and its documents (the first orders only). */
async function orderRecords(orders) {
  const records = new Map();
  await Promise.all(
    orders.slice(0, MAX_ORDER_DETAILS).map(async (order) => {
      const [shipments, documents] = await Promise.all([
        getJson(`/shipments?order_id=${order.order_id}&limit=1000`),
        getJson(`/documents?order_id=${order.order_id}&limit=1000`),
      ]);
      state.documents.set(order.order_id, documents.data);
      const deliveries = (
        await Promise.all(shipments.data.map((s) => getJson(`/deliveries?shipment_id=${s.id}&limit=1000`)))
      ).flatMap((page) => page.data);
      records.set(
        order.order_id,
        await Promise.all(
          deliveries.map(async (delivery) => ({
            delivery,
            distributions: (await getJson(`/distributions?delivery_id=${delivery.id}&limit=1000`)).data,
          })),
        ),
      );
    }),
  );
  return records;
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
  const [detail, report, pledges, attestations, pending] = await Promise.all([
    getJson(`/campaigns/${id}`),
    getJson(`/campaigns/${id}/reconciliation`),
    allPages(`/pledges?campaign_id=${id}`, MAX_PLEDGE_PAGES),
    allPages(`/attestations?campaign_id=${id}`, 1),
    getJson(`/campaigns/${id}/pending-changes`),
  ]);
  const records = await orderRecords(report.orders);
  if (generation !== state.generation) return;
  state.report = report;
  state.symbols = new Map(detail.tokens.filter((t) => t.symbol).map((t) => [t.token.toLowerCase(), t.symbol]));
  const summary = state.campaigns.find((c) => c.campaign_id === id);
  $("campaign-title").replaceChildren(
    `Campaign ${id}${summary ? ` for ${summary.beneficiary}` : ""}`,
    detail.paused ? el("span", { class: "paused", title: `Paused by ${detail.paused_by}` }, "disbursements paused") : null,
  );
  showTotals(report);
  showRounds(report);
  showFlow(fundFlow(report, pledges, records));
  showTokens(report);
  showOrders(report);
  showFindings(report);
  showAttestations(report, attestations.rows);
  showPending(pending);
  const donors = [...new Set(pledges.rows.map((p) => p.donor))].slice(0, 500);
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

function showTotals(report) {
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

function showRounds(report) {
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

function showTokens(report) {
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

function showOrders(report) {
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
          el("td", { class: "num" }, tokenAmount(o.paid, decimals.get(o.payment_token) ?? 18), " ", tokenCode(o.payment_token)),
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

function showFindings(report) {
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
        el("li", { class: `finding ${f.severity}` }, el("span", { class: "badge" }, f.severity), el("strong", {}, f.kind), ": ", f.message),
      ),
    ),
    checked,
  );
}

/** The report hashes auditors attested on chain; their ``uri`` is the auditor's, linked only if it is http(s). */
function showAttestations(report, attestations) {
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
          /^https?:\/\//.test(a.uri) ? el("a", { href: a.uri, rel: "noopener noreferrer nofollow" }, el("code", {}, a.report_hash)) : el("code", {}, a.report_hash),
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

/** "2026-12-20 14:00 UTC" from the API's UTC time (or its Unix seconds, past the year 9999). */
function utc(iso, unix) {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : `Unix time ${unix}`;
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
      ? change.ready ? `Ready since ${when}` : `Ready from ${when}`
      : `Takes effect ${when}`;
  const scope = change.all_campaigns ? "Touches every campaign" : `Campaign ${change.campaign_ids.join(", ")}`;
  const parts = [
    el("span", { class: "badge" }, PENDING_KINDS[change.kind] ?? change.kind),
    el("strong", { class: "when" }, timing),
    el("p", { class: "what" }, change.description),
    el("p", { class: "hint" }, `${scope} · scheduled in block ${count(change.scheduled_block)}, transaction `, txCode(change.tx_hash)),
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
              ? el("ul", {}, call.arguments.map((a) => el("li", {}, `${a.name}: `, el("code", {}, Array.isArray(a.value) ? a.value.join(", ") : a.value))))
              : null,
          ),
        ),
      ),
    );
  }
  return el("li", { class: `pending ${change.ready ? "ready" : ""}`, "data-kind": change.kind }, parts);
}

function showPending(pending) {
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

// ─── the fund flow ──────────────────────────────────────────────────────────────────────────────────────

/** Nodes (in columns 0–5) and links in US dollars: donors → tokens → rounds → suppliers (or refunds, or
 * what the contract holds) → deliveries → recipients. Payments are valued at the token's average USD price
 * at pledge; deliveries and distributions at their share of the order's value. */
function fundFlow(report, pledges, records) {
  const nodes = new Map();
  const links = new Map();
  const node = (id, name, column) => {
    if (!nodes.has(id)) nodes.set(id, { id, name, column });
    return id;
  };
  const add = (source, target, value) => {
    if (!(value > HALF_CENT)) return;
    const key = `${source}\u0000${target}`;
    links.set(key, { source, target, value: (links.get(key)?.value ?? 0) + value });
  };
  const decimals = new Map(report.tokens.map((t) => [t.token, t.decimals]));
  const price = new Map(
    report.tokens.map((t) => [t.token, Number(t.pledged) > 0 ? Number(t.pledged_usd) / (Number(t.pledged) / 10 ** t.decimals) : 0]),
  );
  const toUsd = (token, amount) => (Number(amount) / 10 ** (decimals.get(token) ?? 18)) * (price.get(token) ?? 0);
  const token = (address) => node(`token:${address}`, tokenName(address), 1);

  // Donors → tokens (the largest donors by name, the rest together).
  const byDonor = d3.rollup(pledges.rows, (v) => d3.sum(v, (p) => Number(p.usd_value) / 1e8), (p) => p.donor);
  const named = new Set(d3.sort(byDonor, ([, v]) => -v).slice(0, MAX_DONOR_NODES).map(([d]) => d));
  const drawn = new Map();
  for (const p of pledges.rows) {
    const value = Number(p.usd_value) / 1e8;
    const donor = named.has(p.donor) ? node(`donor:${p.donor}`, short(p.donor), 0) : node("donor:other", "Other donors", 0);
    add(donor, token(p.token), value);
    drawn.set(p.token, (drawn.get(p.token) ?? 0) + value);
  }
  for (const t of report.tokens) {
    // Pledges past the pages read.
    add(node("donor:other", "Other donors", 0), token(t.token), Number(t.pledged_usd) - (drawn.get(t.token) ?? 0));
  }

  // Tokens → rounds → suppliers, refunds, or what the contract still holds.
  const spendableUsd = d3.sum(report.rounds.filter((r) => r.spendable), (r) => Number(r.raised_usd));
  const paidUsd = report.suppliers.map((s) => ({ s, value: d3.sum(s.paid, (p) => toUsd(p.token, p.amount)) }));
  const supplier = (address, name) => node(`supplier:${address}`, name ?? short(address), 3);
  for (const r of report.rounds) {
    const round = node(`round:${r.round_id}`, `Round ${r.round_id} (${r.outcome})`, 2);
    for (const t of r.tokens) add(token(t.token), round, Number(t.pledged_usd));
    let out = 0;
    if (r.spendable) {
      const part = spendableUsd > 0 ? Number(r.raised_usd) / spendableUsd : 0;
      for (const { s, value } of paidUsd) {
        add(round, supplier(s.supplier, s.name), value * part);
        out += value * part;
      }
    } else {
      out = d3.sum(r.tokens, (t) => toUsd(t.token, t.refunded));
      add(round, node("refunded", "Refunded to donors", 3), out);
    }
    const refundable = r.outcome !== "open" && !r.spendable; // the contract's rule: ledger/rounds.py
    const waiting = refundable ? ["refundable", "Refundable, not yet claimed"] : ["held", "Held by the contract"];
    add(round, node(waiting[0], waiting[1], 3), Number(r.raised_usd) - out);
  }

  // Suppliers → deliveries → recipients, valued at each line's share of its order.
  for (const o of report.orders) {
    const paid = toUsd(o.payment_token, o.paid) + d3.sum(o.paid_other, (p) => toUsd(p.token, p.amount));
    if (!(paid > HALF_CENT)) continue;
    const from = supplier(o.payments[0]?.supplier ?? o.supplier_wallet, o.supplier_name);
    const unitPrice = new Map(o.lines.map((l) => [l.line_id, Number(l.unit_price)]));
    const orderValue = d3.sum(o.lines, (l) => Number(l.unit_price) * l.quantity);
    const usdPerValue = orderValue > 0 ? paid / orderValue : 0;
    const worth = (lineId, quantity) => (unitPrice.get(lineId) ?? 0) * quantity * usdPerValue;
    let delivered = 0;
    const detail = records.get(o.order_id);
    if (detail) {
      for (const { delivery, distributions } of detail) {
        const place = node(`delivery:${delivery.consignee}|${delivery.place}`, `${delivery.consignee}, ${delivery.place}`, 4);
        const value = d3.sum(delivery.items, (i) => worth(i.order_line_id, i.quantity));
        add(from, place, value);
        delivered += value;
        let handedOver = 0;
        for (const d of distributions) {
          const share = worth(d.order_line_id, d.quantity);
          add(place, node(`recipient:${d.recipient}`, d.recipient, 5), share);
          handedOver += share;
        }
        add(place, node("stored", "Not yet distributed", 5), value - handedOver);
      }
    } else {
      const place = node("delivery:other", "Deliveries of other orders", 4);
      const value = d3.sum(o.lines, (l) => worth(l.line_id, l.delivered));
      const handedOver = d3.sum(o.lines, (l) => worth(l.line_id, l.distributed));
      add(from, place, value);
      add(place, node("recipient:other", "Recipients of other orders", 5), handedOver);
      add(place, node("stored", "Not yet distributed", 5), value - handedOver);
      delivered += value;
    }
    add(from, node("undelivered", "Paid, not yet delivered", 4), paid - delivered);
  }
  const used = new Set([...links.values()].flatMap((l) => [l.source, l.target]));
  return { nodes: [...nodes.values()].filter((n) => used.has(n.id)), links: [...links.values()] };
}

const COLUMN_COLOURS = ["#4e79a7", "#59a14f", "#f28e2b", "#b07aa1", "#76b7b2", "#e15759"];

function showFlow({ nodes, links }) {
  const canvas = $("flow");
  const rows = $("flow-table").tBodies[0];
  const names = new Map(nodes.map((n) => [n.id, n.name]));
  rows.replaceChildren(
    ...links.map((l) =>
      el("tr", {}, el("td", {}, names.get(l.source)), el("td", {}, names.get(l.target)), el("td", { class: "num" }, usdNumber(l.value))),
    ),
  );
  if (!links.length) {
    canvas.replaceChildren(el("p", { class: "hint" }, "Nothing pledged yet."));
    $("flow-caption").textContent = "";
    return;
  }
  const width = 960;
  const height = Math.max(320, Math.min(1100, d3.max(d3.rollup(nodes, (v) => v.length, (n) => n.column).values()) * 36));
  const layout = d3
    .sankey()
    .nodeId((n) => n.id)
    .nodeAlign((n) => n.column)
    .nodeWidth(14)
    .nodePadding(12)
    .extent([[1, 6], [width - LABEL_ROOM, height - 6]]);
  const graph = layout({ nodes: nodes.map((n) => ({ ...n })), links: links.map((l) => ({ ...l })) });
  const colour = (n) => COLUMN_COLOURS[n.column % COLUMN_COLOURS.length];
  const svg = d3
    .create("svg")
    .attr("viewBox", `0 0 ${width} ${height}`)
    .attr("role", "img")
    .attr("aria-labelledby", "flow-caption");
  svg
    .append("g")
    .selectAll("path")
    .data(graph.links)
    .join("path")
    .attr("class", "link")
    .attr("d", d3.sankeyLinkHorizontal())
    .attr("stroke", (l) => colour(l.source))
    .attr("stroke-width", (l) => Math.max(1, l.width))
    .append("title")
    .text((l) => `${l.source.name} → ${l.target.name}: ${usdNumber(l.value)}`);
  const node = svg.append("g").selectAll("g").data(graph.nodes).join("g").attr("class", "node");
  node
    .append("rect")
    .attr("x", (n) => n.x0)
    .attr("y", (n) => n.y0)
    .attr("width", (n) => n.x1 - n.x0)
    .attr("height", (n) => Math.max(1, n.y1 - n.y0))
    .attr("fill", colour)
    .append("title")
    .text((n) => `${n.name}: ${usdNumber(n.value)}`);
  // Labels right of their node, over the outgoing bands with a halo: the name (cut short; in full in the
  // node's tooltip) and, below it, the amount. The extent leaves room right of the last column.
  const label = node
    .append("text")
    .attr("x", (n) => n.x1 + 5)
    .attr("y", (n) => (n.y0 + n.y1) / 2)
    .attr("dy", "-0.2em");
  label.append("tspan").text((n) => (n.name.length > 22 ? `${n.name.slice(0, 21)}…` : n.name));
  label
    .append("tspan")
    .attr("class", "amount")
    .attr("x", (n) => n.x1 + 5)
    .attr("dy", "1.15em")
    .text((n) => usdNumber(n.value));
  canvas.replaceChildren(svg.node());
  const donors = nodes.filter((n) => n.column === 0).length;
  const recipients = nodes.filter((n) => n.column === 5).length;
  $("flow-caption").textContent =
    `Fund flow of campaign ${state.selected}: ${donors} donor node${donors === 1 ? "" : "s"} to ${recipients} ` +
    `recipient node${recipients === 1 ? "" : "s"}, ${links.length} flows in US dollars.`;
}

// ─── a donor's view ─────────────────────────────────────────────────────────────────────────────────────

async function documentsOf(orderId) {
  if (!state.documents.has(orderId)) state.documents.set(orderId, (await getJson(`/documents?order_id=${orderId}&limit=1000`)).data);
  return state.documents.get(orderId);
}

async function showDonor(address) {
  const out = $("donor-result");
  out.replaceChildren(el("p", { class: "hint" }, "Looking up…"));
  const view = await getJson(`/campaigns/${state.selected}/donors/${encodeURIComponent(address)}`);
  state.donor = address;
  const report = state.report;
  const heading = el("h3", {}, "Donor ", el("code", {}, view.donor));
  if (!view.pledges.length) {
    out.replaceChildren(heading, el("p", {}, `No pledge from this address in campaign ${view.campaign_id}.`));
    return;
  }
  const summary = el(
    "p",
    {},
    `Pledged ${usd(view.pledged_usd)} (US dollars at the time of each pledge); ${usd(view.funding_usd)} of it in rounds that `,
    `can be spent: ${percent(view.campaign_share)} of the campaign's ${usd(view.campaign_funding_usd)}.`,
  );
  const bought = view.bought.length
    ? el("ul", { class: "bought" }, view.bought.map((b) => el("li", {}, el("strong", {}, b.display), ` ${b.item} (${b.unit}) of ${count(b.delivered)} delivered`)))
    : el("p", {}, "Nothing delivered yet from what this donor's share paid for.");
  const pledges = table(
    ["Round", "Token", "Amount", "USD at pledge", "Block", "Transaction"],
    view.pledges.map((p) => [`Round ${p.round_id}`, tokenCode(p.token), tokenAmount(p.amount, p.decimals), usd(p.usd_value), count(p.block_number), txCode(p.tx_hash)]),
    { numeric: [2, 3, 4] },
  );
  pledges.id = "donor-pledges";
  const parts = [heading, summary, el("h4", {}, "What their share bought"), bought, el("h4", {}, "Pledges"), el("div", { class: "scroll" }, pledges)];
  if (view.refunds.length) {
    const decimals = new Map(report.tokens.map((t) => [t.token, t.decimals]));
    parts.push(
      el("h4", {}, "Refunds"),
      el(
        "div",
        { class: "scroll" },
        table(
          ["Round", "Token", "Amount", "Block", "Transaction"],
          view.refunds.map((r) => [`Round ${r.round_id}`, tokenCode(r.token), tokenAmount(r.amount, decimals.get(r.token) ?? 18), count(r.block_number), txCode(r.tx_hash)]),
          { numeric: [2, 3] },
        ),
      ),
    );
  }
  if (view.proof.length) {
    const proofs = await Promise.all(
      view.proof.map(async (payment) => {
        const order = report.orders.find((o) => o.order_ref === payment.purchase_order_ref);
        const documents = order ? await documentsOf(order.order_id) : [];
        const decimals = report.tokens.find((t) => t.token === payment.token)?.decimals ?? 18;
        return el(
          "li",
          {},
          `Payment of ${tokenAmount(payment.amount, decimals)} `,
          tokenCode(payment.token),
          ` to ${order?.supplier_name ?? short(payment.supplier)} for order ${payment.order_reference ?? payment.purchase_order_ref}, block ${count(payment.block_number)}, transaction `,
          txCode(payment.tx_hash),
          `; invoice hash `,
          el("code", {}, payment.invoice_hash),
          documents.length ? el("ul", {}, documents.map((d) => el("li", {}, el("a", { href: d.content_url }, `${d.kind.replaceAll("_", " ")} (${d.filename})`), " SHA-256 ", el("code", {}, d.sha256)))) : null,
        );
      }),
    );
    parts.push(el("h4", {}, "Proof"), el("ul", { class: "proof" }, proofs));
  }
  out.replaceChildren(...parts);
}

// ─── wiring ─────────────────────────────────────────────────────────────────────────────────────────────

function guarded(action) {
  return (...args) => action(...args).catch(showError);
}

/** Follow the indexer and the records: redraw what changed (the report's hash covers both). */
async function refresh() {
  if (state.refreshing) return;
  state.refreshing = true;
  try {
    await Promise.all([showStatus(), showCampaigns()]);
    if (state.selected !== null && state.report !== null) {
      const { report_hash } = await getJson(`/campaigns/${state.selected}/reconciliation`);
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
