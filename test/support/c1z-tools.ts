import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The Go-written vectors copied into the repository (test/fixtures/go/README.md). */
export const VECTOR_DIR = fileURLToPath(new URL("../fixtures/go", import.meta.url));

export function vectorFiles(): string[] {
  try {
    return readdirSync(VECTOR_DIR)
      .filter((name) => name.endsWith(".c1z"))
      .map((name) => join(VECTOR_DIR, name));
  } catch {
    return [];
  }
}

export function toolsPresent(...tools: string[]): boolean {
  const missing = tools.filter((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0);
  if (missing.length > 0) console.warn(`missing ${missing.join(", ")}: skipping tests that compare against them`);
  return missing.length === 0;
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "c1z-test-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The SQLite file inside a c1z, decompressed by the zstd CLI (`tail -c +6 f | zstd -d`). */
export function decompressWithCli(c1zPath: string, dbPath: string): void {
  execFileSync("sh", ["-c", `tail -c +6 "${c1zPath}" | zstd -d -q -c > "${dbPath}"`]);
}

export function writeAndDecompress(bytes: Uint8Array, dir: string, name: string): string {
  const c1z = join(dir, `${name}.c1z`);
  writeFileSync(c1z, bytes);
  const db = join(dir, `${name}.db`);
  decompressWithCli(c1z, db);
  return db;
}

/** Rows from the sqlite3 CLI (`-json`). */
export function sqlite3(db: string, sql: string): Record<string, unknown>[] {
  const out = execFileSync("sqlite3", ["-json", db, sql], { maxBuffer: 1 << 30 })
    .toString()
    .trim();
  return out === "" ? [] : (JSON.parse(out) as Record<string, unknown>[]);
}

export function sqlite3Value(db: string, sql: string): unknown {
  const rows = sqlite3(db, sql);
  return rows.length === 0 ? undefined : Object.values(rows[0])[0];
}
