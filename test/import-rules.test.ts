/**
 * The import rules `npm test` checks (.dependency-cruiser.cjs) catch what they
 * are for: run on a small tree that breaks each rule once, and on one that
 * breaks none, the same config reports exactly the breaches.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const scratch = mkdtempSync(join(tmpdir(), "baton-import-rules-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
  cycle?: { name: string }[];
}

function tree(name: string, files: Record<string, string>): string {
  const dir = join(scratch, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  copyFileSync(join(root, ".dependency-cruiser.cjs"), join(dir, ".dependency-cruiser.cjs"));
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { module: "ESNext", moduleResolution: "Bundler", allowImportingTsExtensions: true },
    }),
  );
  return dir;
}

function violations(dir: string): Violation[] {
  let out: string;
  try {
    out = execFileSync(
      join(root, "node_modules/.bin/depcruise"),
      ["src", "plugins", "--config", ".dependency-cruiser.cjs", "--output-type", "json"],
      { cwd: dir, encoding: "utf8" },
    );
  } catch (error) {
    // depcruise exits non-zero when it finds violations; the JSON is still on stdout.
    out = (error as { stdout: string }).stdout;
  }
  return (JSON.parse(out) as { summary: { violations: Violation[] } }).summary.violations;
}

const sdk = {
  "src/plugins/contract.ts": "export interface Plugin { name: string }\n",
  "src/plugins/sdk.ts": 'export type { Plugin } from "./contract.ts";\n',
};

describe("the import rules", () => {
  it("report a module cycle, a folder cycle and a plugin reaching past the SDK", () => {
    const dir = tree("broken", {
      ...sdk,
      // A module cycle inside one folder.
      "src/engine/run.ts": 'import { phase } from "./phases.ts";\nexport const run = () => phase();\n',
      "src/engine/phases.ts": 'import { run } from "./run.ts";\nexport const phase = () => run;\n',
      // A folder cycle without a module cycle: a/x → b/y, b/z → a/w.
      "src/a/x.ts": 'import { y } from "../b/y.ts";\nexport const x = y;\n',
      "src/a/w.ts": "export const w = 1;\n",
      "src/b/y.ts": "export const y = 2;\n",
      "src/b/z.ts": 'import { w } from "../a/w.ts";\nexport const z = w;\n',
      // A plugin importing the contract instead of the SDK.
      "plugins/p/index.ts":
        'import type { Plugin } from "../../src/plugins/contract.ts";\nexport const p: Plugin = { name: "p" };\n',
    });
    // A cycle is reported once, from whichever of its members the cruise met first.
    const found = violations(dir).map((v) =>
      v.rule.name.endsWith("cycles") ? [v.rule.name, ...[v.from, v.to].sort()] : [v.rule.name, v.from, v.to],
    );
    expect(found).toEqual(
      expect.arrayContaining([
        ["no-module-cycles", "src/engine/phases.ts", "src/engine/run.ts"],
        ["no-folder-cycles", "src/a", "src/b"],
        ["plugins-use-the-sdk", "plugins/p/index.ts", "src/plugins/contract.ts"],
      ]),
    );
    expect(new Set(found.map(([rule]) => rule))).toEqual(
      new Set(["no-module-cycles", "no-folder-cycles", "plugins-use-the-sdk"]),
    );
  });

  it("report nothing for a tree that layers its folders and uses the SDK", () => {
    const dir = tree("clean", {
      ...sdk,
      "src/engine/run.ts": 'import { phase } from "./phases.ts";\nexport const run = () => phase();\n',
      "src/engine/phases.ts": "export const phase = () => 1;\n",
      "src/a/x.ts": 'import { y } from "../b/y.ts";\nexport const x = y;\n',
      "src/b/y.ts": "export const y = 2;\n",
      "plugins/p/index.ts":
        'import type { Plugin } from "../../src/plugins/sdk.ts";\nexport const p: Plugin = { name: "p" };\n',
    });
    expect(violations(dir)).toEqual([]);
  });
});
