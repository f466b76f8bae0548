// What the page shows now, shared by its modules.
// ``generation`` counts campaign renderings, so that a slow one never overwrites a newer one.
// ``symbols``: the shown campaign's token symbols (from the token records) by lower-case address.
// ``documents``: the documents of the shown campaign's orders, by order id.
export const state = {
  campaigns: [],
  selected: null,
  report: null,
  documents: new Map(),
  symbols: new Map(),
  donor: null,
  generation: 0,
  refreshing: false,
};

const ETH = "0x0000000000000000000000000000000000000000";

/** A token's recorded symbol; else "ETH" for the zero address (native ether), else its short address. */
export function tokenName(token) {
  const address = token.toLowerCase();
  return state.symbols.get(address) ?? (address === ETH ? "ETH" : `${token.slice(0, 6)}…${token.slice(-4)}`);
}
