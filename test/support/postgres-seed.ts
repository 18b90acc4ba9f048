/**
 * A seeded cluster for the PostgreSQL connector tests: ~55 roles with groups nested three
 * deep, NOINHERIT members, role attributes, an expired login, three databases with several
 * schemas, tables, views and sequences, and names chosen to break naive quoting.
 */
import type { Sql } from "postgres";

/** Names that break string-built SQL: quotes, spaces, unicode, dots, `;` and comments. */
export const HOSTILE = {
  roleQuote: 'we"ird role',
  roleUnicode: "Ünïcødé ☃ rôle",
  roleInjection: 'x"; DROP TABLE orders; --',
  roleDot: "dot.ted",
  roleApostrophe: "O'Brien; --",
  schemaQuote: 'we"ird schema',
  schemaUnicode: "schéma ünï",
  tableInjection: '"; DROP TABLE orders; --',
  tableSpace: "tab le",
  tableUnicode: "τάβλε",
  tableDot: "a.b",
  database: 'hostile "db"; --',
} as const;

export const DATABASES = ["app_main", "app_reports", HOSTILE.database] as const;

function q(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Cluster-wide part: roles and memberships, run in the postgres database. */
export function clusterSeed(): string {
  const lines: string[] = [];
  // Groups nested three deep: org <- eng <- backend/frontend <- (users)
  lines.push(
    "CREATE ROLE g_org NOLOGIN",
    "CREATE ROLE g_eng NOLOGIN",
    "CREATE ROLE g_backend NOLOGIN",
    "CREATE ROLE g_frontend NOLOGIN",
    "CREATE ROLE g_ops NOLOGIN",
    "CREATE ROLE g_readonly NOLOGIN",
    "CREATE ROLE g_contractors NOLOGIN NOINHERIT",
    "CREATE ROLE g_audit NOLOGIN NOINHERIT",
    "CREATE ROLE g_db_admins NOLOGIN CREATEDB",
    "GRANT g_org TO g_eng",
    "GRANT g_eng TO g_backend",
    "GRANT g_eng TO g_frontend",
    "GRANT g_org TO g_ops",
    "GRANT g_eng TO g_contractors",
    "GRANT g_readonly TO g_audit",
    "GRANT g_ops TO g_db_admins",
  );
  for (let i = 1; i <= 40; i++) {
    const name = `user_${String(i).padStart(2, "0")}`;
    const attrs = [
      "LOGIN",
      i % 7 === 0 ? "NOINHERIT" : "",
      i === 3 ? "SUPERUSER" : "",
      i % 10 === 5 ? "CREATEROLE" : "",
      i % 9 === 4 ? "CREATEDB" : "",
      i === 13 ? "VALID UNTIL '2001-01-01 00:00:00+00'" : "",
      i === 14 ? "VALID UNTIL 'infinity'" : "",
      i === 15 ? "CONNECTION LIMIT 3" : "",
    ];
    lines.push(`CREATE ROLE ${name} ${attrs.filter(Boolean).join(" ")}`);
    const group = ["g_backend", "g_frontend", "g_ops", "g_readonly", "g_contractors", "g_audit"][i % 6] as string;
    lines.push(`GRANT ${group} TO ${name}${i % 8 === 0 ? " WITH ADMIN OPTION" : ""}`);
    if (i % 5 === 0) lines.push(`GRANT g_db_admins TO ${name}`);
  }
  lines.push(
    `CREATE ROLE ${q(HOSTILE.roleQuote)} LOGIN`,
    `CREATE ROLE ${q(HOSTILE.roleUnicode)} NOLOGIN`,
    `CREATE ROLE ${q(HOSTILE.roleInjection)} LOGIN`,
    `CREATE ROLE ${q(HOSTILE.roleDot)} NOLOGIN`,
    `CREATE ROLE ${q(HOSTILE.roleApostrophe)} LOGIN`,
    `GRANT ${q(HOSTILE.roleUnicode)} TO ${q(HOSTILE.roleQuote)}`,
    `GRANT g_backend TO ${q(HOSTILE.roleUnicode)}`,
    `GRANT ${q(HOSTILE.roleDot)} TO ${q(HOSTILE.roleInjection)}`,
    "GRANT pg_read_all_stats TO g_ops",
  );
  for (const db of DATABASES) lines.push(`CREATE DATABASE ${q(db)} OWNER g_db_admins`);
  lines.push(
    "REVOKE CONNECT, TEMPORARY ON DATABASE app_reports FROM PUBLIC",
    "GRANT CONNECT ON DATABASE app_reports TO g_readonly, g_ops",
    "GRANT TEMPORARY ON DATABASE app_reports TO user_02 WITH GRANT OPTION",
    `GRANT CREATE ON DATABASE app_main TO g_backend, ${q(HOSTILE.roleQuote)}`,
    `GRANT CONNECT ON DATABASE ${q(HOSTILE.database)} TO ${q(HOSTILE.roleInjection)}`,
  );
  return lines.join(";\n");
}

/** Per-database part: schemas, tables, views, sequences, owners and privileges. */
export function databaseSeed(database: string): string {
  const lines: string[] = [
    "CREATE SCHEMA sales AUTHORIZATION g_backend",
    "CREATE SCHEMA reporting",
    `CREATE SCHEMA ${q(HOSTILE.schemaQuote)} AUTHORIZATION ${q(HOSTILE.roleQuote)}`,
    `CREATE SCHEMA ${q(HOSTILE.schemaUnicode)}`,
    "CREATE TABLE public.orders (id serial primary key, total numeric)",
    "CREATE TABLE sales.customers (id bigint generated always as identity, name text)",
    "CREATE TABLE sales.invoices (id int, customer bigint) PARTITION BY RANGE (id)",
    "CREATE TABLE reporting.events (at timestamptz, what text)",
    "CREATE VIEW reporting.daily AS SELECT date_trunc('day', at) AS day, count(*) FROM reporting.events GROUP BY 1",
    "CREATE MATERIALIZED VIEW reporting.totals AS SELECT count(*) AS n FROM reporting.events",
    "CREATE SEQUENCE reporting.ticket_no",
    `CREATE TABLE ${q(HOSTILE.schemaQuote)}.${q(HOSTILE.tableInjection)} (x int)`,
    `CREATE TABLE ${q(HOSTILE.schemaQuote)}.${q(HOSTILE.tableSpace)} (x int)`,
    `CREATE TABLE ${q(HOSTILE.schemaUnicode)}.${q(HOSTILE.tableUnicode)} (x int)`,
    `CREATE TABLE public.${q(HOSTILE.tableDot)} (x int)`,
    "ALTER TABLE public.orders OWNER TO g_backend",
    "ALTER TABLE reporting.events OWNER TO user_04",
    "GRANT USAGE ON SCHEMA sales TO g_frontend, g_readonly",
    "GRANT USAGE, CREATE ON SCHEMA reporting TO g_ops",
    "GRANT USAGE ON SCHEMA reporting TO g_readonly WITH GRANT OPTION",
    "GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO g_readonly",
    "GRANT SELECT, INSERT, UPDATE ON public.orders TO g_frontend",
    "GRANT DELETE, TRUNCATE ON public.orders TO user_01",
    "GRANT REFERENCES, TRIGGER ON sales.customers TO g_audit",
    "GRANT SELECT ON sales.invoices TO g_contractors",
    "GRANT USAGE, SELECT ON SEQUENCE reporting.ticket_no TO g_ops",
    "GRANT UPDATE ON SEQUENCE public.orders_id_seq TO g_frontend",
    `GRANT SELECT ON ${q(HOSTILE.schemaQuote)}.${q(HOSTILE.tableInjection)} TO ${q(HOSTILE.roleInjection)}`,
    `GRANT INSERT ON ${q(HOSTILE.schemaUnicode)}.${q(HOSTILE.tableUnicode)} TO ${q(HOSTILE.roleUnicode)}`,
    `GRANT USAGE ON SCHEMA ${q(HOSTILE.schemaUnicode)} TO ${q(HOSTILE.roleDot)}`,
  ];
  if (database === "app_reports")
    lines.push("CREATE TABLE reporting.extra (x int)", "REVOKE ALL ON reporting.extra FROM user_04");
  return lines.join(";\n");
}

/** Runs the whole seed as the bootstrap superuser. `connect(db)` opens a connection to a database. */
export async function seedCluster(connect: (database: string) => Sql): Promise<void> {
  const main = connect("postgres");
  try {
    for (const statement of clusterSeed().split(";\n")) await main.unsafe(statement);
  } finally {
    await main.end();
  }
  for (const database of DATABASES) {
    const sql = connect(database);
    try {
      for (const statement of databaseSeed(database).split(";\n")) await sql.unsafe(statement);
    } finally {
      await sql.end();
    }
  }
}
