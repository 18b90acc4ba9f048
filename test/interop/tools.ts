/**
 * The independent tools the interop tests compare baton-edge against: baton-sdk's own
 * Go code (test/interop/go), the zstd and sqlite3 command lines, and protoc.
 * Each finder returns either the tool or the reason it is missing, for `it.skipIf`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Go-written c1z files and baton-sdk's DDL, copied into the repository (see its README). */
export const vectorsDir = path.resolve(repoRoot, "test/fixtures/go");
export const batonSdkDdlFile = path.join(vectorsDir, "baton-sdk-ddl.sql");

export type Found<T> = { ok: true; value: T } | { ok: false; reason: string };

function onPath(command: string): string | undefined {
  const found = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

export function findCommand(command: string, fallbacks: string[] = []): Found<string> {
  const found = onPath(command) ?? fallbacks.find((candidate) => existsSync(candidate));
  return found ? { ok: true, value: found } : { ok: false, reason: `${command} is not installed` };
}

export interface RunResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

export function run(
  command: string,
  args: string[],
  options: { input?: Uint8Array | string; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): RunResult {
  const result = spawnSync(command, args, {
    input: options.input,
    cwd: options.cwd,
    env: options.env,
    maxBuffer: 1024 * 1024 * 1024,
    timeout: options.timeoutMs ?? 120_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString("utf8") };
}

/** Runs a command that must succeed; returns stdout. */
export function runOk(command: string, args: string[], options: Parameters<typeof run>[2] = {}): Buffer {
  const result = run(command, args, options);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${result.stderr.slice(0, 2000)}`);
  }
  return result.stdout;
}

// ---- the Go program on baton-sdk ------------------------------------------------

const goDir = path.join(repoRoot, "test/interop/go");
let goBuild: Found<string> | undefined;

/**
 * Builds test/interop/go (baton-sdk v0.8.0's pkg/dotc1z, from the Go module proxy)
 * once per process. Missing only when `go` is absent (see build.sh).
 */
export function goInterop(): Found<string> {
  if (goBuild) return goBuild;
  const go = findCommand("go", ["/usr/local/go/bin/go"]);
  if (!go.ok) {
    goBuild = go;
    return goBuild;
  }
  const result = run("bash", [path.join(goDir, "build.sh")], {
    env: { ...process.env, GO: go.value },
    timeoutMs: 15 * 60_000,
  });
  if (result.status === 3) {
    goBuild = { ok: false, reason: result.stderr.trim() };
  } else if (result.status !== 0) {
    throw new Error(`building test/interop/go failed (exit ${result.status}):\n${result.stderr}`);
  } else {
    goBuild = { ok: true, value: path.join(goDir, "bin/interop") };
  }
  return goBuild;
}

export function goRun(args: string[], input?: string): string {
  const bin = goInterop();
  if (!bin.ok) throw new Error(bin.reason);
  return runOk(bin.value, args, { input }).toString("utf8");
}

/** What baton-sdk's reader lists for a file (the Go program's `list` output). */
export interface Listing {
  syncs: { id: string; type: string; finished: boolean }[];
  resourceTypes: { id: string; displayName: string; traits: number[]; annotations: string[] }[];
  resources: {
    resourceType: string;
    resource: string;
    parentResourceType: string | null;
    parentResource: string | null;
    displayName: string;
    annotations: string[];
  }[];
  entitlements: {
    id: string;
    resourceType: string | null;
    resource: string | null;
    slug: string;
    displayName: string;
    purpose: number;
  }[];
  grants: {
    id: string;
    entitlementId: string | null;
    entitlementResourceType: string | null;
    entitlementResource: string | null;
    principalType: string | null;
    principal: string | null;
    annotations: string[];
    sources: Record<string, boolean>;
  }[];
  expandable: { grantId: string; sourceEntitlementIds: string[]; shallow: boolean; resourceTypeIds: string[] }[];
  /** Gets the baton CLI makes while printing (type, parent, entitlement, principal) that failed. */
  missing: string[];
  /** `baton stats` of the latest finished sync: resource_types, per-type resource counts, entitlements, grants. */
  stats: Record<string, number> | null;
}

export function goList(file: string): Listing {
  return JSON.parse(goRun(["list", file])) as Listing;
}

// ---- zstd, sqlite3, protoc -------------------------------------------------------

/** The SQLite file inside a c1z, decompressed by the zstd command line. */
export function zstdDecompress(zstd: string, c1z: Uint8Array): Buffer {
  return runOk(zstd, ["-d", "-q", "-c"], { input: c1z.subarray(5) });
}

export function sqlite3(sqlite: string, dbFile: string, sql: string): string {
  return runOk(sqlite, ["-bail", dbFile, sql]).toString("utf8");
}

export interface Protoc {
  python: string;
  include: string;
}

/** protoc from grpcio-tools (scripts/setup-test-tools.sh), with its well-known-type includes. */
export function findProtoc(): Found<Protoc> {
  const python = path.join(repoRoot, ".tmp/tools/venv/bin/python");
  if (!existsSync(python)) return { ok: false, reason: "protoc missing: run scripts/setup-test-tools.sh" };
  const probe = run(python, ["-c", "import grpc_tools, os; print(os.path.dirname(grpc_tools.__file__))"]);
  if (probe.status !== 0) return { ok: false, reason: "grpc_tools is not installed in .tmp/tools/venv" };
  const include = path.join(probe.stdout.toString("utf8").trim(), "_proto");
  return { ok: true, value: { python, include } };
}

/** Every .proto file of ours, relative to src/proto. */
export function ourProtoFiles(): string[] {
  const root = path.join(repoRoot, "src/proto");
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory() && entry.name !== "gen") walk(rel);
      else if (entry.name.endsWith(".proto")) out.push(rel);
    }
  };
  walk("");
  return out.sort();
}

/** `protoc --decode=<type>` against our .proto files: protobuf text format. */
export function protocDecode(protoc: Protoc, typeName: string, bytes: Uint8Array): string {
  return runOk(
    protoc.python,
    [
      "-m",
      "grpc_tools.protoc",
      `--decode=${typeName}`,
      `-I${path.join(repoRoot, "src/proto")}`,
      `-I${protoc.include}`,
      ...ourProtoFiles(),
    ],
    { input: bytes, cwd: repoRoot },
  ).toString("utf8");
}

/** protoc prints a field it does not know as its bare number (`12: 5`, `7 {`). */
export function unknownFieldLines(text: string): string[] {
  return text.split("\n").filter((line) => /^\s*\d+(:| \{)/.test(line));
}

/** Collapses whitespace runs, so DDL text compares as SQL rather than as layout. */
export function normaliseSql(sql: string): string {
  return sql.replace(/\s+/g, " ").replace(/\( /g, "(").replace(/ \)/g, ")").trim();
}

/** `sqlite_master` rows (type, name, table, normalised sql), sorted; SQLite's own objects left out. */
export function schemaRows(sqlite: string, dbFile: string): string[] {
  const out = sqlite3(
    sqlite,
    dbFile,
    "select json_group_array(json_array(type, name, tbl_name, sql)) from (select * from sqlite_master where name not like 'sqlite_%' order by type, name)",
  );
  const rows = JSON.parse(out) as [string, string, string, string | null][];
  return rows.map(([type, name, table, sql]) => `${type} ${name} ${table}: ${normaliseSql(sql ?? "")}`);
}
