// "What did my pledge buy?": one donor's pledges, refunds, share and the payments that prove it.

import { getJson } from "./api.js";
import { $, el, table } from "./dom.js";
import { count, percent, short, tokenAmount, usd } from "./format.js";
import { state } from "./state.js";
import { tokenCode, txCode } from "./views.js";

export async function showDonor(address) {
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
    ? el(
        "ul",
        { class: "bought" },
        view.bought.map((b) =>
          el("li", {}, el("strong", {}, b.display), ` ${b.item} (${b.unit}) of ${count(b.delivered)} delivered`),
        ),
      )
    : el("p", {}, "Nothing delivered yet from what this donor's share paid for.");
  const pledges = table(
    ["Round", "Token", "Amount", "USD at pledge", "Block", "Transaction"],
    view.pledges.map((p) => [
      `Round ${p.round_id}`,
      tokenCode(p.token),
      tokenAmount(p.amount, p.decimals),
      usd(p.usd_value),
      count(p.block_number),
      txCode(p.tx_hash),
    ]),
    { numeric: [2, 3, 4] },
  );
  pledges.id = "donor-pledges";
  const parts = [
    heading,
    summary,
    el("h4", {}, "What their share bought"),
    bought,
    el("h4", {}, "Pledges"),
    el("div", { class: "scroll" }, pledges),
  ];
  if (view.refunds.length) {
    const decimals = new Map(report.tokens.map((t) => [t.token, t.decimals]));
    parts.push(
      el("h4", {}, "Refunds"),
      el(
        "div",
        { class: "scroll" },
        table(
          ["Round", "Token", "Amount", "Block", "Transaction"],
          view.refunds.map((r) => [
            `Round ${r.round_id}`,
            tokenCode(r.token),
            tokenAmount(r.amount, decimals.get(r.token) ?? 18),
            count(r.block_number),
            txCode(r.tx_hash),
          ]),
          { numeric: [2, 3] },
        ),
      ),
    );
  }
  if (view.proof.length) {
    const proofs = view.proof.map((payment) => {
      const order = report.orders.find((o) => o.order_ref === payment.purchase_order_ref);
      const documents = order ? (state.documents.get(order.order_id) ?? []) : [];
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
        documents.length
          ? el(
              "ul",
              {},
              documents.map((d) =>
                el(
                  "li",
                  {},
                  el("a", { href: d.content_url }, `${d.kind.replaceAll("_", " ")} (${d.filename})`),
                  " SHA-256 ",
                  el("code", {}, d.sha256),
                ),
              ),
            )
          : null,
      );
    });
    parts.push(el("h4", {}, "Proof"), el("ul", { class: "proof" }, proofs));
  }
  out.replaceChildren(...parts);
}
