/**
 * Go's `time.Now().Format("2006-01-02 15:04:05.999999999")`, the layout of every
 * c1z time column: local wall-clock time, no zone, fraction with trailing zeros trimmed.
 */
export function goLocalTime(epochMs: number): string {
  const wholeMs = Math.floor(epochMs);
  const date = new Date(wholeMs);
  // A double holding epoch milliseconds is exact to about a microsecond, so sub-millisecond parts are kept to µs.
  const micros = Math.min(999, Math.round((epochMs - wholeMs) * 1000));
  const nanos = (((wholeMs % 1000) + 1000) % 1000) * 1_000_000 + micros * 1000;
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  const base =
    `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  const fraction = pad(Math.min(nanos, 999_999_999), 9).replace(/0+$/, "");
  return fraction ? `${base}.${fraction}` : base;
}
