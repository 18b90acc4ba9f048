import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SyncState, TokenError } from "./state.ts";

function hasTool(name: string): boolean {
  try {
    execFileSync(name, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const tools = hasTool("zstd") && hasTool("sqlite3");
if (!tools) console.warn("state.test: zstd or sqlite3 CLI missing; the vector token test is skipped");

/** The token as Go stored it, read with the sqlite3 and zstd CLIs (not with our code). */
function vectorToken(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), "sync-token-"));
  const bytes = readFileSync(new URL(`../../test/fixtures/go/${name}`, import.meta.url));
  writeFileSync(join(dir, "f.zst"), bytes.subarray(5));
  execFileSync("zstd", ["-q", "-d", join(dir, "f.zst"), "-o", join(dir, "f.db")]);
  return execFileSync("sqlite3", [join(dir, "f.db"), "select sync_token from v1_sync_runs"])
    .toString()
    .trim();
}

describe("SyncState tokens", () => {
  it.skipIf(!tools)("reads Go's V0 token from go-sync-in-progress.c1z with current_action on top", () => {
    const token = vectorToken("go-sync-in-progress.c1z");
    expect(token).toContain('"current_action"');
    const state = SyncState.parse(token);
    expect(state.size).toBe(3);
    expect(state.current()?.op).toBe("list-entitlements");
    expect(state.completedActionsCount).toBe(45);
    const serialized = JSON.parse(state.serialize());
    expect(serialized.action_order).toEqual(["0000000000", "0000000001", "0000000002"]);
    expect(serialized.actions_map["0000000000"].operation).toBe("grant-expansion");
    expect(serialized.actions_map["0000000001"].operation).toBe("list-grants");
    expect(serialized.current_action_id).toBe(3);
    expect(serialized.version).toBe(1);
  });

  it.skipIf(!tools)("reads the V0 token with an inline graph from go-36zf-unexpanded.c1z", () => {
    const state = SyncState.parse(vectorToken("go-36zf-unexpanded.c1z"));
    expect(state.current()?.op).toBe("grant-expansion");
    expect(state.needsExpansion).toBe(true);
    // The graph is not carried over: the token we write stays small.
    expect(state.serialize().length).toBeLessThan(300);
  });

  it("reads Go's V1 shape (state.go serializedTokenV1) and resumes the top action's page token", () => {
    const token = JSON.stringify({
      actions_map: {
        "0000000004": { id: "0000000004", operation: "list-grants" },
        "0000000009": {
          id: "0000000009",
          operation: "list-resources",
          page_token: "cursor-7",
          resource_type_id: "team",
          parent_resource_type_id: "org",
          parent_resource_id: "o1",
        },
      },
      action_order: ["0000000004", "0000000009"],
      current_action_id: 10,
      needs_expansion: true,
      should_skip_grants: true,
      completed_actions_count: 12,
      step_durations_ms: { resources: 5 },
      version: 1,
    });
    const state = SyncState.parse(token);
    expect(state.current()).toEqual({
      id: "0000000009",
      op: "list-resources",
      pageToken: "cursor-7",
      resourceTypeId: "team",
      resourceId: "",
      parentResourceTypeId: "org",
      parentResourceId: "o1",
    });
    expect(state.shouldSkipGrants).toBe(true);
    expect(state.push({ op: "list-entitlements" }).id).toBe("0000000010");
  });

  it("blanks an expansion page token (the graph it indexed is not in the token)", () => {
    const state = SyncState.parse(
      JSON.stringify({ actions: [], current_action: { operation: "grant-expansion", page_token: "17" } }),
    );
    expect(state.current()?.pageToken).toBe("");
    // Go was in the middle of its expansion: it would not mark supports_diff on carrying on.
    expect(state.resumesGoExpansion).toBe(true);
    const graphOnly = { actions: [], current_action: { operation: "grant-expansion" } };
    expect(SyncState.parse(JSON.stringify(graphOnly)).resumesGoExpansion).toBe(false);
    expect(
      SyncState.parse(JSON.stringify({ ...graphOnly, entitlement_graph: { loaded: true } })).resumesGoExpansion,
    ).toBe(true);
  });

  it("keeps our expansion position outside Go's fields and reads it back", () => {
    const state = SyncState.fresh();
    const expansion = state.push({ op: "grant-expansion" });
    state.setPageToken(expansion.id, "42");
    const json = JSON.parse(state.serialize());
    // Go would read a page_token as its own graph's: it gets none, and ignores our field.
    expect(json.actions_map[expansion.id]).toEqual({ id: expansion.id, operation: "grant-expansion" });
    expect(json.expanded_destinations).toBe(42);
    expect(SyncState.parse(JSON.stringify(json)).current()?.pageToken).toBe("42");
    expect(SyncState.parse(JSON.stringify(json)).resumesGoExpansion).toBe(false);
    for (const bad of [-1, 2.5, "7", null]) {
      expect(() => SyncState.parse(JSON.stringify({ ...json, expanded_destinations: bad }))).toThrow(
        /expanded_destinations is not a count/,
      );
    }
  });

  it("an empty token means init; garbage and unknown ops are named errors", () => {
    expect(SyncState.parse("").current()?.op).toBe("init");
    expect(() => SyncState.parse("{nope")).toThrow(TokenError);
    expect(() => SyncState.parse('{"current_action":{"operation":"teleport"}}')).toThrow(/teleport/);
  });

  it("writes omitempty fields the way Go does and an empty stack after the end", () => {
    const state = SyncState.fresh();
    state.finish(state.current()?.id as string);
    state.clear();
    expect(JSON.parse(state.serialize())).toEqual({ current_action_id: 1, completed_actions_count: 1, version: 1 });
  });
});
