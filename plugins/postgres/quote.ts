/**
 * SQL text for names we cannot bind as parameters (GRANT, ALTER ROLE, CREATE ROLE…).
 *
 * We quote ourselves rather than with the driver's `sql(name)`: postgres.js splits
 * identifiers on dots (`a.b` becomes `"a"."b"`), which would address a different object
 * for a role or table whose name contains a dot.
 */

/** A double-quoted identifier; every `"` doubled. NUL cannot appear in a PostgreSQL name. */
export function quoteIdent(name: string): string {
  if (name.length === 0) throw new TypeError("an SQL identifier cannot be empty");
  if (name.includes("\0")) throw new TypeError("an SQL identifier cannot contain a NUL character");
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."name"` */
export function quoteQualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/**
 * A standard-conforming string literal: every `'` doubled. Backslashes are literal only
 * while `standard_conforming_strings` is on (the default since 9.1), so we refuse them
 * rather than depend on a session setting.
 */
export function quoteLiteral(text: string): string {
  if (text.includes("\0")) throw new TypeError("an SQL literal cannot contain a NUL character");
  if (text.includes("\\")) throw new TypeError("refusing to inline a literal containing a backslash");
  return `'${text.replaceAll("'", "''")}'`;
}

/** PostgreSQL truncates names to NAMEDATALEN - 1 = 63 bytes; we refuse instead of truncating. */
export function assertNameLength(name: string, what: string): void {
  const bytes = new TextEncoder().encode(name).length;
  if (bytes > 63) throw new TypeError(`${what} is ${bytes} bytes long; PostgreSQL names are at most 63 bytes`);
}
