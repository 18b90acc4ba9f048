import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { entitlement, grant, group, resource, resourceId, resourceType, user } from "../model/builders.ts";
import { ResourceSchema } from "../model/types.ts";
import {
  PluginOutputError,
  validateEntitlementPage,
  validateGrantPage,
  validateResource,
  validateResourcePage,
} from "./validate-output.ts";

const userType = resourceType({ displayName: "User", traits: ["user"] });

function outputError(fn: () => unknown): PluginOutputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof PluginOutputError) return error;
    throw error;
  }
  throw new Error("expected a PluginOutputError");
}

describe("plugin output validation", () => {
  it("accepts what the builders produce", () => {
    const ada = user({ id: "ada", displayName: "Ada" });
    const team = group({ id: "t1", displayName: "Team" });
    expect(validateResourcePage("acme", userType, { items: [ada], nextPageToken: "" }).items).toHaveLength(1);
    expect(validateEntitlementPage("acme", "group", { items: [entitlement(team, "member")] }).items).toHaveLength(1);
    expect(validateGrantPage("acme", "group", { items: [grant(team, "member", ada)] }).items).toHaveLength(1);
  });

  it("names plugin, resource type and the offending field", () => {
    const noId = create(ResourceSchema, { displayName: "Nobody" });
    const e = outputError(() =>
      validateResourcePage("acme", userType, { items: [user({ id: "a", displayName: "A" }), noId] }),
    );
    expect(e.plugin).toBe("acme");
    expect(e.resourceType).toBe("user");
    expect(e.field).toBe("items[1].id");
    expect(e.message).toMatch(/^plugin "acme", resource type "user": items\[1\]\.id /);

    const emptyId = user({ id: "", displayName: "Empty" });
    expect(outputError(() => validateResource("acme", userType, emptyId)).field).toBe("resource.id.resource");

    const plain = resource({ type: "user", id: "x", displayName: "No trait" });
    const missingTrait = outputError(() => validateResource("acme", userType, plain));
    expect(missingTrait.field).toBe("resource.annotations");
    expect(missingTrait.message).toMatch(/c1\.connector\.v2\.UserTrait/);

    const wrongType = outputError(() => validateResource("acme", userType, group({ id: "g", displayName: "G" })));
    expect(wrongType.message).toMatch(/id\.resourceType is "group", expected "user"/);

    const notAMessage = outputError(() =>
      validateResourcePage("acme", userType, { items: [{ id: resourceId("user", "1") }] }),
    );
    expect(notAMessage.field).toBe("items[0]");

    const badPage = outputError(() => validateResourcePage("acme", userType, { items: [], nextPageToken: 7 }));
    expect(badPage.field).toBe("page.nextPageToken");

    const team = group({ id: "t1", displayName: "Team" });
    const ent = entitlement(team, "member");
    ent.id = "";
    expect(outputError(() => validateEntitlementPage("acme", "group", { items: [ent] })).field).toBe("items[0].id");

    const g = grant(team, "member", user({ id: "a", displayName: "A" }));
    g.principal = undefined;
    expect(outputError(() => validateGrantPage("acme", "group", { items: [g] })).field).toBe("items[0].principal");
  });
});
