// Reading the public API: JSON with a clear error, keyset pages, and polling that costs little. Each URL's
// last ETag and body are kept: the next read sends If-None-Match and reuses the body on 304 Not Modified.
// Without ETags from the server every read is a plain GET.

export const API = "/api/v1";

/** url → { etag, body } of the last 200 that carried an ETag. */
const kept = new Map();

/** The JSON of ``API + path``; throws an Error with the API's ``detail`` on a failure. */
export async function getJson(path) {
  const url = API + path;
  const headers = { Accept: "application/json" };
  const last = kept.get(url);
  if (last) headers["If-None-Match"] = last.etag;
  // no-store: the browser adds no validators of its own and hands a 304 to this code as it is.
  const response = await fetch(url, { headers, cache: "no-store" });
  if (response.status === 304 && last) return last.body;
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
  const body = await response.json();
  const etag = response.headers.get("ETag");
  if (etag) kept.set(url, { etag, body });
  else kept.delete(url);
  return body;
}

/** Every row of a keyset-paginated list, up to ``maxPages`` pages; ``complete`` says whether all were read. */
export async function allPages(path, maxPages = 20) {
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
