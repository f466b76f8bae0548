// The fund flow as the server computed it (GET /campaigns/{id}/flow): nodes in six columns and links in US
// dollars with 8 exact places. This module only draws: amounts are shown as the server wrote them; floats
// only size the picture's bands.

import { $, el } from "./dom.js";
import { usd } from "./format.js";
import { state } from "./state.js";

const LABEL_ROOM = 150; // SVG units right of the last column, for its labels
const COLUMN_COLOURS = ["#4e79a7", "#59a14f", "#f28e2b", "#b07aa1", "#76b7b2", "#e15759"];
const RECIPIENTS = 5; // the last column

/** Draw ``flow`` (the API's answer): a Sankey picture, and every link in the table below it. */
export function showFlow(flow) {
  const d3 = window.d3;
  const { nodes, links } = flow;
  const canvas = $("flow");
  const rows = $("flow-table").tBodies[0];
  const names = new Map(nodes.map((n) => [n.id, n.name]));
  rows.replaceChildren(
    ...links.map((l) =>
      el(
        "tr",
        {},
        el("td", {}, names.get(l.source)),
        el("td", {}, names.get(l.target)),
        el("td", { class: "num" }, usd(l.usd)),
      ),
    ),
  );
  if (!links.length) {
    canvas.replaceChildren(el("p", { class: "hint" }, "Nothing pledged yet."));
    $("flow-caption").textContent = "";
    return;
  }
  const width = 960;
  const tallest = d3.max(
    d3
      .rollup(
        nodes,
        (v) => v.length,
        (n) => n.column,
      )
      .values(),
  );
  const height = Math.max(320, Math.min(1100, tallest * 36));
  const layout = d3
    .sankey()
    .nodeId((n) => n.id)
    .nodeAlign((n) => n.column)
    .nodeWidth(14)
    .nodePadding(12)
    .extent([
      [1, 6],
      [width - LABEL_ROOM, height - 6],
    ]);
  const graph = layout({
    nodes: nodes.map((n) => ({ ...n })),
    links: links.map((l) => ({ source: l.source, target: l.target, usd: l.usd, value: Number(l.usd) })),
  });
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
    .text((l) => `${l.source.name} → ${l.target.name}: ${usd(l.usd)}`);
  const node = svg
    .append("g")
    .selectAll("g")
    .data(graph.nodes)
    .join("g")
    .attr("class", "node")
    .attr("data-node", (n) => n.id);
  node
    .append("rect")
    .attr("x", (n) => n.x0)
    .attr("y", (n) => n.y0)
    .attr("width", (n) => n.x1 - n.x0)
    .attr("height", (n) => Math.max(1, n.y1 - n.y0))
    .attr("fill", colour)
    .append("title")
    .text((n) => `${n.name}: ${usd(n.usd)}`);
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
    .text((n) => usd(n.usd));
  canvas.replaceChildren(svg.node());
  const donors = nodes.filter((n) => n.column === 0).length;
  const recipients = nodes.filter((n) => n.column === RECIPIENTS).length;
  $("flow-caption").textContent =
    `Fund flow of campaign ${state.selected}: ${donors} donor node${donors === 1 ? "" : "s"} to ${recipients} ` +
    `recipient node${recipients === 1 ? "" : "s"}, ${links.length} flows in US dollars.`;
}
