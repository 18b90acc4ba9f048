import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { entitlement, group, resourceId, resourceType } from "../model/builders.ts";
import { memoryStateStore } from "./connect.ts";
import type { AnyPlugin, SyncCallContext } from "./contract.ts";
import { definePlugin } from "./define.ts";
import { PluginOutputError } from "./validate-output.ts";
import { withOutputValidation } from "./validated.ts";

function pluginReturning(list: unknown, grants: unknown = { items: [] }): AnyPlugin {
  return definePlugin({
    name: "shape",
    displayName: "Shape",
    config: v.object({}),
    connect: () => ({}),
    resourceTypes: [
      {
        resourceType: resourceType({ displayName: "Team" }),
        list: async () => list as never,
        entitlements: async (team) => ({ items: [entitlement(team, "member")] }),
        grants: async () => grants as never,
      },
    ],
  });
}

const ctx = {
  pageToken: "",
  syncId: "s",
  client: {},
  log: console,
  fetch,
  signal: new AbortController().signal,
  state: memoryStateStore(),
} as unknown as SyncCallContext<unknown>;

async function failure(promise: Promise<unknown>): Promise<PluginOutputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PluginOutputError);
  return error as PluginOutputError;
}

describe("withOutputValidation", () => {
  it("passes well-formed pages through unchanged, including what the engine drops itself (empty ids)", async () => {
    const page = { items: [group({ type: "team", id: "", displayName: "No id yet" })], nextPageToken: "2" };
    const wrapped = withOutputValidation(pluginReturning(page));
    expect(await wrapped.resourceTypes[0].list(undefined, ctx)).toBe(page);
  });

  it("wraps once: an already validated plugin comes back as it is, so a page is not checked twice", () => {
    const original = pluginReturning({ items: [] });
    const wrapped = withOutputValidation(original);
    expect(wrapped).not.toBe(original);
    expect(wrapped.resourceTypes[0].list).not.toBe(original.resourceTypes[0].list);
    expect(withOutputValidation(wrapped)).toBe(wrapped);
  });

  it("names the plugin, the resource type and the offending field", async () => {
    const plain = withOutputValidation(
      pluginReturning({ items: [{ id: resourceId("team", "1"), displayName: "x", annotations: [] }] }),
    );
    const notMessage = await failure(plain.resourceTypes[0].list(undefined, ctx));
    expect(notMessage.message).toBe(
      'plugin "shape", resource type "team": list().items.0 must be a c1.connector.v2.Resource message (build it with resource(), user(), group()…)',
    );
    const wrongType = group({ type: "team", id: "1", displayName: "x" });
    (wrongType as { displayName: unknown }).displayName = 5;
    const badField = await failure(
      withOutputValidation(pluginReturning({ items: [wrongType] })).resourceTypes[0].list(undefined, ctx),
    );
    expect(badField.field).toBe("list().items.0.displayName");
    const badToken = await failure(
      withOutputValidation(pluginReturning({ items: [], nextPageToken: 3 })).resourceTypes[0].list(undefined, ctx),
    );
    expect(badToken.field).toBe("list().nextPageToken");
    const grantWithPlainPrincipal = {
      items: [
        {
          $typeName: "c1.connector.v2.Grant",
          id: "g",
          principal: { id: { resourceType: "user", resource: "u" } },
          annotations: [],
        },
      ],
    };
    const team = group({ type: "team", id: "1", displayName: "x" });
    const badGrant = await failure(
      withOutputValidation(pluginReturning({ items: [] }, grantWithPlainPrincipal)).resourceTypes[0].grants(team, ctx),
    );
    expect(badGrant.field).toMatch(/^grants\(\)\.items\.0\.principal/);
    expect(badGrant.message).toMatch(/must be a c1\.connector\.v2\.(Resource|ResourceId) message/);
    const noPage = await failure(
      withOutputValidation(pluginReturning(undefined)).resourceTypes[0].list(undefined, ctx),
    );
    expect(noPage.message).toMatch(/list\(\) must be an object \{ items, nextPageToken\? \}/);
  });
});
