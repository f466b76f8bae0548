// Numbers, amounts and dates for people. Amounts stay exact (BigInt over the API's decimal strings).

/** ``value`` base units with ``decimals`` decimals, rounded to ``places``, with thousands separators. */
export function formatUnits(value, decimals, places = 2) {
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
  const fraction = shown > 0 ? `.${(units % base).toString().padStart(shown, "0")}` : "";
  return (negative ? "−" : "") + whole + fraction;
}

/** A decimal string ("20000.00000000") as base units of ``decimals`` places. */
export function decimalToUnits(text, decimals = 8) {
  const negative = text.startsWith("-");
  const [whole, fraction = ""] = text.replace(/^-/, "").split(".");
  const units = BigInt(whole + fraction.padEnd(decimals, "0").slice(0, decimals));
  return negative ? -units : units;
}

/** US dollars from 8-decimal integer strings (chain values). */
export const usdUnits = (units) => `$${formatUnits(units, 8, 2)}`;
/** US dollars from decimal strings (the reconciliation, the flow). */
export const usd = (text) => usdUnits(decimalToUnits(text));
export const count = (n) => Number(n).toLocaleString("en-US");
export const short = (hex) => (hex.length > 14 ? `${hex.slice(0, 6)}…${hex.slice(-4)}` : hex);
export const day = (seconds) => new Date(seconds * 1000).toISOString().slice(0, 10);
export const percent = (fraction) => `${(Number(fraction) * 100).toFixed(2)}%`;

/** A token amount: up to 4 places, trailing zeros dropped. */
export function tokenAmount(amount, decimals) {
  const text = formatUnits(amount, decimals, Math.min(decimals, 4));
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

/** "2026-12-20 14:00 UTC" from the API's UTC time (or its Unix seconds, past the year 9999). */
export function utc(iso, unix) {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : `Unix time ${unix}`;
}
