import { describe, expect, it } from "vitest";
import { createC1z } from "../c1z/index.ts";
import { resourceType, user } from "../model/builders.ts";
import { diffCounts } from "./diff.ts";
import { compareCodePoints, sortedRows } from "./sorted.ts";

const awkward = ["a", "b", "\uffff", "\ue000", "\u{1f600}", "é", "Z", "a\u0000b", "\ud7ff", "\u{10000}"];

describe("sorted id streams", () => {
  it("compareCodePoints orders strings as their UTF-8 bytes (SQLite's BINARY collation)", () => {
    const byBytes = [...awkward].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...awkward].sort(compareCodePoints)).toEqual(byBytes);
    // Plain UTF-16 order differs exactly here, which would break the merge.
    expect([...awkward].sort()).not.toEqual(byBytes);
  });

  it("pages through one sync in SQLite's order, and a diff of the same ids finds nothing", async () => {
    const store = await createC1z({ engine: "sqljs" });
    store.startSync("full");
    store.putResourceTypes([resourceType({ displayName: "User", traits: ["user"] })]);
    store.putResources(awkward.map((id) => user({ id, displayName: `name ${id}` })));
    store.endSync();
    const first = store.listSyncs()[0].syncId;
    store.startSync("full");
    store.putResourceTypes([resourceType({ displayName: "User", traits: ["user"] })]);
    store.putResources(awkward.map((id) => user({ id, displayName: `name ${id}` })));
    store.endSync();
    const second = store.listSyncs()[1].syncId;
    const ids = [...sortedRows(store.db, "v1_resources", first, "", 3)].map((row) => row.externalId);
    expect(ids).toEqual(awkward.map((id) => `user:${id}`).sort(compareCodePoints));
    expect(diffCounts({ store, syncId: first }, { store, syncId: second })).toEqual({
      resources: { created: 0, deleted: 0, modified: 0 },
      entitlements: { created: 0, deleted: 0, modified: 0 },
      grants: { created: 0, deleted: 0, modified: 0 },
    });
    store.close();
  });
});
