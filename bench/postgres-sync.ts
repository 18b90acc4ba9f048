/**
 * PostgreSQL connector benchmark: a private PostgreSQL 15 seeded with many roles, memberships,
 * databases and tables, synced end to end into a c1z. Prints JSON lines (seed, sync, summary);
 * never passes or fails on time.
 *
 *   npx tsx bench/postgres-sync.ts
 *   BENCH_PG_ROLES=5000 BENCH_PG_TABLES=2000 BENCH_PG_DATABASES=3 BENCH_PG_PAGE=500 npx tsx bench/postgres-sync.ts
 */
import postgres from "postgres";
import plugin from "../plugins/postgres/index.ts";
import { createC1z } from "../src/c1z/index.ts";
import { runSync } from "../src/sync/index.ts";
import { startPostgres } from "../test/support/postgres.ts";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const ROLES = env("BENCH_PG_ROLES", 2_000);
const TABLES = env("BENCH_PG_TABLES", 1_000);
const DATABASES = env("BENCH_PG_DATABASES", 2);
const PAGE = env("BENCH_PG_PAGE", 100);
const WORKERS = env("BENCH_PG_WORKERS", 1);
const print = (line: Record<string, unknown>) => console.log(JSON.stringify(line));

const pg = await startPostgres();
try {
  let started = performance.now();
  const admin = postgres({ ...pg.options(), onnotice: () => {}, max: 1 });
  const groups = Math.max(1, Math.floor(ROLES / 20));
  await admin.unsafe(`
    DO $$ BEGIN
      FOR i IN 1..${groups} LOOP EXECUTE format('CREATE ROLE %I NOLOGIN', 'grp_' || i); END LOOP;
      FOR i IN 2..${groups} LOOP EXECUTE format('GRANT %I TO %I', 'grp_' || (i / 2), 'grp_' || i); END LOOP;
      FOR i IN 1..${ROLES - groups} LOOP
        EXECUTE format('CREATE ROLE %I LOGIN', 'usr_' || i);
        EXECUTE format('GRANT %I TO %I', 'grp_' || (1 + i % ${groups}), 'usr_' || i);
      END LOOP;
    END $$`);
  for (let d = 1; d <= DATABASES; d++) await admin.unsafe(`CREATE DATABASE bench_${d}`);
  await admin.end();
  for (let d = 1; d <= DATABASES; d++) {
    const sql = postgres({ ...pg.options(`bench_${d}`), onnotice: () => {}, max: 1 });
    await sql.unsafe(`
      DO $$ BEGIN
        FOR s IN 1..5 LOOP EXECUTE format('CREATE SCHEMA %I', 's' || s); END LOOP;
        FOR t IN 1..${Math.ceil(TABLES / DATABASES)} LOOP
          EXECUTE format('CREATE TABLE %I.%I (id int)', 's' || (1 + t % 5), 't' || t);
          EXECUTE format('GRANT SELECT, INSERT ON %I.%I TO %I', 's' || (1 + t % 5), 't' || t, 'grp_' || (1 + t % ${groups}));
        END LOOP;
      END $$`);
    await sql.end();
  }
  print({
    measure: "postgres-seed",
    roles: ROLES,
    groups,
    tables: TABLES,
    databases: DATABASES,
    ms: Math.round(performance.now() - started),
  });

  started = performance.now();
  const client = await plugin.connect(
    { dsn: pg.dsn(), pageSize: PAGE },
    { fetch, log: { debug() {}, info() {}, warn() {}, error() {} }, signal: new AbortController().signal },
  );
  const store = await createC1z();
  let pages = 0;
  const result = await runSync({
    plugin,
    client,
    store,
    workers: WORKERS,
    onProgress: (event) => {
      if (event.type === "progress") pages = event.pages;
    },
  });
  const ms = performance.now() - started;
  const bytes = store.toBytes().length;
  await plugin.close?.(client);
  const objects = result.written.resources + result.written.entitlements + result.written.grants;
  print({
    measure: "postgres-sync",
    page: PAGE,
    workers: WORKERS,
    ...result.written,
    expandedGrants: result.expandedGrants,
    pages,
    ms: Math.round(ms),
    objectsPerSecond: Math.round(objects / (ms / 1000)),
    c1zBytes: bytes,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1e3),
  });
} finally {
  await pg.stop();
}
