/**
 * Opaque page tokens: base64url of a small JSON object. Listings page by OID (keyset),
 * so a token is the last OID seen; it stays valid across checkpoints and restarts.
 */

export interface Cursor {
  /** The last OID of the previous page, as text. */
  after: string;
}

export function encodeToken(cursor: Cursor): string {
  const json = JSON.stringify({ v: 1, after: cursor.after });
  return btoa(json).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

/** `""` is the first page. */
export function decodeToken(token: string): Cursor | undefined {
  if (token === "") return undefined;
  let parsed: unknown;
  try {
    const base64 = token.replaceAll("-", "+").replaceAll("_", "/");
    parsed = JSON.parse(atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4)));
  } catch {
    throw new TypeError("invalid page token: not a postgres connector token");
  }
  const after = (parsed as { after?: unknown } | null)?.after;
  if (typeof after !== "string" || !/^\d+$/.test(after)) throw new TypeError("invalid page token: bad cursor");
  return { after };
}

/** Pages are keyset queries `WHERE oid > $after ORDER BY oid LIMIT size + 1`. */
export function nextToken<T>(rows: T[], size: number, oidOf: (row: T) => string): { rows: T[]; next?: string } {
  if (rows.length <= size) return { rows };
  const page = rows.slice(0, size);
  const last = page[page.length - 1];
  return { rows: page, next: last === undefined ? undefined : encodeToken({ after: oidOf(last) }) };
}
