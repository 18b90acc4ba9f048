import { describe, expect, it } from "vitest";
import { ConformanceError, testPlugin } from "../../src/conformance/test-plugin.ts";
import { memoryStateStore } from "../../src/plugins/connect.ts";
import demo from "./index.ts";

describe("demo plugin", () => {
  it("passes the conformance harness with paging forced (page size 3)", async () => {
    const state = memoryStateStore();
    const report = await testPlugin(demo, { config: { users: 12, groups: 5, grants: 30, pageSize: 3 }, state });
    expect(report.checks.every((check) => check.ok)).toBe(true);
    // 12 users, 5 groups, 3 roles, 1 app, 3 projects (ceil(5/2) = 3).
    expect(report.counts.resources).toBe(24);
    // Multiple pages were needed: 12 users at 3 per page alone is 4 pages.
    expect(report.counts.pages).toBeGreaterThan(20);
    const names = report.checks.map((check) => check.name);
    expect(names).toContain("grant/revoke group");
    expect(names).toContain("list project under app:demo");
    expect(names).toContain("full sync into a c1z");
    // The harness's grant and revoke cancel out in the persisted edits.
    const edits = JSON.parse(state.text ?? "{}");
    expect(edits.granted).toEqual([]);
    expect(edits.revoked).toEqual([]);
  });

  it("reports a broken plugin with every failed check", async () => {
    const broken = {
      ...demo,
      resourceTypes: demo.resourceTypes.map((rt) =>
        rt.resourceType.id === "role"
          ? { ...rt, list: async () => ({ items: [], nextPageToken: "" }), get: undefined }
          : rt.resourceType.id === "user"
            ? {
                ...rt,
                list: async (_p: unknown, ctx: { pageToken: string }) => ({
                  items: [],
                  nextPageToken: ctx.pageToken || "same",
                }),
              }
            : rt,
      ),
    };
    const error = await testPlugin(broken, { config: { users: 3, groups: 2, grants: 0 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConformanceError);
    const report = (error as ConformanceError).report;
    const failed = report.checks.filter((check) => !check.ok).map((check) => check.name);
    expect(failed).toContain("list user");
    expect((error as Error).message).toMatch(/next page token unchanged \("same"\)/);
    // With no roles listed there is no pair to grant, which the harness says rather than silently passing.
    expect(failed).toContain("grant/revoke role");
  });
});
