import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  decompressWithCli,
  sqlite3,
  sqlite3Value,
  tempDir,
  toolsPresent,
  VECTOR_DIR,
  vectorFiles,
  writeAndDecompress,
} from "../../test/support/c1z-tools.ts";
import type { Entitlement, Grant, Resource, ResourceType } from "../model/types.ts";
import { nativeEngine } from "../storage/index.ts";
import { readC1zFile } from "./file.ts";
import type { SqliteC1zStore } from "./sqlite-store.ts";
import type { PageOf } from "./store.ts";

const tools = toolsPresent("zstd", "sqlite3");
const vectors = vectorFiles();
if (vectors.length === 0) console.warn(`no Go c1z vectors in ${VECTOR_DIR}: skipping vector tests`);
const native = await nativeEngine();
const engines = native ? (["sqljs", "native"] as const) : (["sqljs"] as const);
const tmp = tempDir();
afterAll(() => tmp.cleanup());

function all<T>(list: (pageToken: string) => PageOf<T>): T[] {
  const out: T[] = [];
  let token = "";
  let pages = 0;
  do {
    const page = list(token);
    out.push(...page.items);
    token = page.nextPageToken;
    pages++;
    if (pages > 100_000) throw new Error("paging does not end");
  } while (token !== "");
  return out;
}

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

function cliCountBy(db: string, table: string): Record<string, number> {
  return Object.fromEntries(
    sqlite3(db, `select resource_type_id as t, count(*) as n from ${table} group by 1`).map((r) => [r.t, r.n]),
  );
}

describe.skipIf(!tools || vectors.length === 0).each(vectors.map((path) => ({ name: basename(path), path })))(
  "Go vector $name",
  ({ name, path }) => {
    const db = join(tmp.dir, `${name}.db`);
    decompressWithCli(path, db);

    it.each(engines)(
      "reads every row with paging; counts per table and resource type equal sqlite3 (%s)",
      async (engine) => {
        const store = await readC1zFile(path, { engine });
        try {
          const pageSize = 700;
          const resourceTypes: ResourceType[] = all((pageToken) => store.listResourceTypes({ pageToken, pageSize }));
          const resources: Resource[] = all((pageToken) => store.listResources({ pageToken, pageSize }));
          const entitlements: Entitlement[] = all((pageToken) => store.listEntitlements({ pageToken, pageSize }));
          const grants: Grant[] = all((pageToken) => store.listGrants({ pageToken, pageSize }));
          expect(resourceTypes.length).toBe(sqlite3Value(db, "select count(*) from v1_resource_types"));
          expect(resources.length).toBe(sqlite3Value(db, "select count(*) from v1_resources"));
          expect(entitlements.length).toBe(sqlite3Value(db, "select count(*) from v1_entitlements"));
          expect(grants.length).toBe(sqlite3Value(db, "select count(*) from v1_grants"));

          const resourcesByType = cliCountBy(db, "v1_resources");
          expect(countBy(resources, (r) => r.id!.resourceType)).toEqual(resourcesByType);
          for (const [type, n] of Object.entries(resourcesByType)) {
            expect(all((pageToken) => store.listResources({ pageToken, resourceTypeId: type })).length).toBe(n);
          }
          expect(countBy(entitlements, (e) => e.resource!.id!.resourceType)).toEqual(cliCountBy(db, "v1_entitlements"));
          expect(countBy(grants, (g) => g.entitlement!.resource!.id!.resourceType)).toEqual(
            cliCountBy(db, "v1_grants"),
          );

          const stats = store.stats();
          expect(stats.resources).toBe(resources.length);
          expect(stats.grants).toBe(grants.length);
          expect(stats.resources_by_resource_type).toEqual(resourcesByType);
        } finally {
          store.close();
        }
      },
    );

    it("decodes every grant's entitlement, principal and resource ids, equal to the row's columns", async () => {
      const store = await readC1zFile(path, { engine: "sqljs" });
      try {
        const columns = new Map(
          sqlite3(
            db,
            "select external_id, entitlement_id, resource_type_id, resource_id, principal_resource_type_id, principal_resource_id from v1_grants",
          ).map((row) => [row.external_id, row]),
        );
        const grants = all((pageToken) => store.listGrants({ pageToken }));
        for (const grant of grants) {
          const row = columns.get(grant.id)!;
          expect(row, grant.id).toBeDefined();
          expect(grant.entitlement?.id).toBe(row.entitlement_id);
          expect(grant.entitlement?.resource?.id?.resourceType).toBe(row.resource_type_id);
          expect(grant.entitlement?.resource?.id?.resource).toBe(row.resource_id);
          expect(grant.principal?.id?.resourceType).toBe(row.principal_resource_type_id);
          expect(grant.principal?.id?.resource).toBe(row.principal_resource_id);
        }
        // A few grants by id and by filter, as Go's getters would find them.
        for (const grant of grants.slice(0, 20)) {
          expect(store.getGrant(grant.id)?.id).toBe(grant.id);
          const byEntitlement = all((pageToken) =>
            store.listGrants({ pageToken, entitlementId: grant.entitlement!.id }),
          );
          expect(byEntitlement.length).toBe(
            sqlite3Value(db, `select count(*) from v1_grants where entitlement_id = '${grant.entitlement!.id}'`),
          );
          const byPrincipal = all((pageToken) => store.listGrants({ pageToken, principal: grant.principal!.id! }));
          expect(byPrincipal.length).toBe(
            sqlite3Value(
              db,
              `select count(*) from v1_grants where principal_resource_type_id = '${grant.principal!.id!.resourceType}' and principal_resource_id = '${grant.principal!.id!.resource}'`,
            ),
          );
        }
      } finally {
        store.close();
      }
    });

    it("finds GrantExpandable whether it sits in `data` (old writers) or in `expansion`", async () => {
      const store = await readC1zFile(path, { engine: "sqljs" });
      try {
        const hasColumn =
          sqlite3(db, "select name from pragma_table_info('v1_grants') where name = 'expansion'").length > 0;
        const inData = Number(
          sqlite3Value(db, "select count(*) from v1_grants where instr(data, 'c1.connector.v2.GrantExpandable') > 0"),
        );
        const inColumn = hasColumn
          ? Number(sqlite3Value(db, "select count(*) from v1_grants where expansion is not null"))
          : 0;
        const withExpansion = all((pageToken) => store.listGrantsWithExpansion({ pageToken })).filter(
          (g) => g.expansion,
        );
        expect(withExpansion.length).toBe(inData + inColumn);
        for (const item of withExpansion) {
          expect(item.expansion!.entitlementIds.length).toBeGreaterThan(0);
          expect(item.grant.annotations.some((a) => a.typeUrl.endsWith("GrantExpandable"))).toBe(false);
        }
      } finally {
        store.close();
      }
    });

    it("keeps every untouched row's data byte-identical through read → write → read", async () => {
      let store: SqliteC1zStore | undefined = await readC1zFile(path, { engine: "sqljs" });
      const bytes = store.toBytes();
      store.close();
      store = undefined;
      const out = writeAndDecompress(bytes, tmp.dir, `${name}-roundtrip`);
      const compare = (table: string, extra = "") =>
        sqlite3Value(
          out,
          `attach '${db}' as orig; select count(*) from ${table} t join orig.${table} o on o.id = t.id where t.data != o.data${extra}`,
        );
      for (const table of ["v1_resource_types", "v1_resources", "v1_entitlements", "v1_assets"]) {
        expect(sqlite3Value(out, `select count(*) from ${table}`)).toBe(
          sqlite3Value(db, `select count(*) from ${table}`),
        );
        expect(compare(table), table).toBe(0);
      }
      expect(sqlite3Value(out, "select count(*) from v1_grants")).toBe(
        sqlite3Value(db, "select count(*) from v1_grants"),
      );
      // Grants Go's migration rewrites (GrantExpandable moved to `expansion`) are the only ones allowed to change.
      expect(compare("v1_grants", " and instr(o.data, 'c1.connector.v2.GrantExpandable') = 0")).toBe(0);
      expect(sqlite3Value(out, "pragma integrity_check")).toBe("ok");
      // Go's CLI leaves the WAL flag in the header (bytes 18/19 = 2); our copy is in rollback mode.
      const originalHeader = readFileSync(db).subarray(18, 20);
      expect(Array.from(originalHeader)).toEqual([2, 2]);
      expect(Array.from(readFileSync(out).subarray(18, 20))).toEqual([1, 1]);
      const reread = await readC1zFile(join(tmp.dir, `${name}-roundtrip.c1z`), { engine: "sqljs" });
      expect(reread.listSyncs()).toEqual((await readC1zFile(path, { engine: "sqljs" })).listSyncs());
      reread.close();
    });
  },
);
