/**
 * Shared by the sync tests: read a c1z with the sqlite3 and zstd command-line
 * tools (independent of our reader), a fake clock, and a small synthetic org.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { GrantSchema } from "../src/model/types.ts";
import type { Clock } from "../src/sync/index.ts";

function hasTool(name: string): boolean {
  try {
    execFileSync(name, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export const cliToolsPresent = hasTool("zstd") && hasTool("sqlite3");

/** Rows of a query against the SQLite inside a c1z, via the zstd and sqlite3 CLIs; columns split on `|`. */
export function queryC1z(c1z: Uint8Array, sql: string): string[][] {
  const dir = mkdtempSync(join(tmpdir(), "sync-c1z-"));
  try {
    writeFileSync(join(dir, "f.zst"), c1z.subarray(5));
    execFileSync("zstd", ["-q", "-d", join(dir, "f.zst"), "-o", join(dir, "f.db")]);
    const out = execFileSync("sqlite3", ["-separator", "|", join(dir, "f.db"), sql], { maxBuffer: 1 << 30 })
      .toString()
      .trim();
    return out === "" ? [] : out.split("\n").map((line) => line.split("|"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface GrantFacts {
  principal: string;
  entitlement: string;
  sources: Record<string, boolean>;
  immutable: boolean;
  data: string;
  /** `data` with any GrantExpandable annotation field cut out (Go HEAD moves it to the `expansion` column). */
  dataWithoutExpandable: string;
}

function varintHex(value: number): string {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes).toString("hex").toUpperCase();
}

/** Every grant of the c1z's (single or given) sync, keyed by external id. */
export function grantFacts(c1z: Uint8Array, syncId?: string): Map<string, GrantFacts> {
  const where = syncId ? ` where sync_id = '${syncId}'` : "";
  const facts = new Map<string, GrantFacts>();
  for (const [id, hex] of queryC1z(c1z, `select external_id, hex(data) from v1_grants${where}`)) {
    const grant = fromBinary(GrantSchema, Buffer.from(hex as string, "hex"));
    const sources: Record<string, boolean> = {};
    for (const [key, value] of Object.entries(grant.sources?.sources ?? {})) sources[key] = value.isDirect;
    facts.set(id as string, {
      principal: `${grant.principal?.id?.resourceType}:${grant.principal?.id?.resource}`,
      entitlement: grant.entitlement?.id ?? "",
      sources,
      immutable: grant.annotations.some((any) => any.typeUrl.endsWith("c1.connector.v2.GrantImmutable")),
      data: hex as string,
      dataWithoutExpandable: grant.annotations
        .filter((any) => any.typeUrl.endsWith("c1.connector.v2.GrantExpandable"))
        .reduce((data, any) => {
          const body = Buffer.from(toBinary(AnySchema, any)).toString("hex").toUpperCase();
          return data.replace(`22${varintHex(body.length / 2)}${body}`, "");
        }, hex as string),
    });
  }
  return facts;
}

/** A clock that only moves when told to, recording every sleep. */
export class FakeClock implements Clock {
  time: number;
  readonly sleeps: number[] = [];
  constructor(start = Date.parse("2026-01-01T00:00:00Z")) {
    this.time = start;
  }
  now = (): number => this.time;
  sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.time += ms;
  };
}

export type ObjectSet = Record<"resource_types" | "resources" | "entitlements" | "grants", Map<string, string>>;

/** The objects of the latest finished sync, table → external_id → hex(data), read with the CLIs. */
export function objectSet(c1z: Uint8Array): ObjectSet {
  const [latest] = queryC1z(
    c1z,
    "select sync_id from v1_sync_runs where ended_at is not null order by ended_at desc, sync_id desc limit 1",
  );
  const syncId = latest?.[0];
  if (!syncId) throw new Error("no finished sync in the file");
  const read = (table: string) =>
    new Map(
      queryC1z(c1z, `select external_id, hex(data) from v1_${table} where sync_id = '${syncId}'`).map(
        ([id, data]) => [id as string, data as string] as const,
      ),
    );
  return {
    resource_types: read("resource_types"),
    resources: read("resources"),
    entitlements: read("entitlements"),
    grants: read("grants"),
  };
}

export function sortedEntries(map: Map<string, string>): [string, string][] {
  return [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A small deterministic PRNG (mulberry32) so failing trials can be replayed by seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
