import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeC1z } from "../c1z/envelope.ts";
import { createC1z, openC1z } from "../c1z/open.ts";
import { resourceType } from "../model/builders.ts";
import { chunkedC1z, saveStoreC1z } from "./destinations.ts";

describe("saveStoreC1z", () => {
  it("streams a sql.js store from its chunks: the saved c1z holds the same database", async () => {
    const dir = mkdtempSync(join(tmpdir(), "baton-dest-"));
    try {
      const store = await createC1z({ engine: "sqljs" });
      store.startSync("full");
      // Enough rows for a database of several 1 MiB chunks.
      store.putResourceTypes(
        Array.from({ length: 3000 }, (_, i) =>
          resourceType({ id: `type-${i}`, displayName: `Type ${i}`, description: `${i} `.repeat(300) }),
        ),
      );
      store.endSync();
      expect(chunkedC1z(store)).toBeDefined();
      const expected = store.sqliteBytes();
      expect(expected.length).toBeGreaterThan(2 * 1024 * 1024);
      const path = join(dir, "out.c1z");
      await saveStoreC1z(path, store);
      const saved = readFileSync(path);
      expect(decodeC1z(saved)).toEqual(expected);
      const reread = await openC1z(saved, { engine: "sqljs" });
      expect(reread.stats().resource_types).toBe(3000);
      reread.close();
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
