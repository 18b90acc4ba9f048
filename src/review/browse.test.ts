import { toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { createC1z } from "../c1z/index.ts";
import { group, resourceType, user } from "../model/builders.ts";
import { ResourceSchema } from "../model/types.ts";
import { resourcesOfType } from "./browse.ts";
import { displayNameOf } from "./search-index.ts";

describe("explorer search", () => {
  it("reads display_name from the head of an encoded Resource, or says it cannot", () => {
    const resource = user({ id: "u-1", displayName: "Zoë 😀 <b>", profile: { a: "x".repeat(600) } });
    const bytes = toBinary(ResourceSchema, resource);
    expect(displayNameOf(bytes, true)).toBe("Zoë 😀 <b>");
    expect(displayNameOf(bytes.subarray(0, 12), false)).toBeUndefined();
    expect(displayNameOf(toBinary(ResourceSchema, group({ id: "g", displayName: "" })), true)).toBe("");
  });

  it("finds ids and names case-insensitively, pages with the cursor, and counts the whole type", async () => {
    const store = await createC1z({ engine: "sqljs" });
    store.startSync("full");
    store.putResourceTypes([resourceType({ displayName: "User", traits: ["user"] })]);
    const users = Array.from({ length: 120 }, (_, i) =>
      user({ id: `u-${String(i).padStart(3, "0")}`, displayName: i % 10 === 0 ? `Admin ${i}` : `Person ${i}` }),
    );
    // A name past the 512-byte head: found through the full row.
    users.push(user({ id: "zz-long", displayName: "Admin long", description: "d".repeat(700) }));
    store.putResources(users);
    store.endSync();
    const syncId = store.listSyncs()[0].syncId;
    const first = resourcesOfType(store, syncId, "user", { query: "ADMIN", limit: 5 });
    expect(first.total).toBe(121);
    expect(first.items.map((r) => r.displayName)).toEqual(["Admin 0", "Admin 10", "Admin 20", "Admin 30", "Admin 40"]);
    const rest = resourcesOfType(store, syncId, "user", { query: "admin", after: first.next ?? "", limit: 50 });
    expect(rest.items.map((r) => r.displayName)).toEqual([
      "Admin 50",
      "Admin 60",
      "Admin 70",
      "Admin 80",
      "Admin 90",
      "Admin 100",
      "Admin 110",
      "Admin long",
    ]);
    expect(rest.next).toBeNull();
    expect(resourcesOfType(store, syncId, "user", { query: "u-11", limit: 50 }).items).toHaveLength(10);
    const plain = resourcesOfType(store, syncId, "user", { limit: 100 });
    expect(plain.items).toHaveLength(100);
    expect(resourcesOfType(store, syncId, "user", { after: plain.next ?? "", limit: 100 }).items).toHaveLength(21);
    store.close();
  });
});
