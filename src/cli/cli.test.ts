import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./cli.ts";
import type { CliIO } from "./io.ts";

const dir = mkdtempSync(path.join(tmpdir(), "cli-inproc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(argv: string[], env: Record<string, string> = {}, cwd = dir) {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    env,
    cwd,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    stderrIsTTY: false,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

describe("runCli in-process", () => {
  it("prints the top-level help with the loaded plugins", async () => {
    const result = await cli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ {2}demo {2,}Demo$/m);
    expect(result.stdout).toContain("baton-edge <plugin> [flags]");
  });

  it("rejects an unknown plugin or command with exit 2 on one line", async () => {
    const result = await cli(["nonesuch"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: unknown command or plugin "nonesuch" \(plugins: .*demo.*\)\n$/);
  });

  it("finds the config file from BATON_CONFIG_PATH and from ./.baton.yaml", async () => {
    writeFileSync(path.join(dir, "custom.yaml"), "users: bogus\n");
    const fromEnv = await cli(["demo"], { BATON_CONFIG_PATH: "custom.yaml" });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toBe(
      'error: invalid value for --users ($BATON_USERS) from file: expected an integer, got "bogus"\n',
    );

    const sub = mkdtempSync(path.join(dir, "dotfile-"));
    writeFileSync(path.join(sub, ".baton.yaml"), "groups: 1.5\n");
    const fromDotfile = await cli(["demo"], {}, sub);
    expect(fromDotfile.code).toBe(2);
    expect(fromDotfile.stderr).toMatch(/--groups \(\$BATON_GROUPS\) from file: expected an integer/);

    writeFileSync(path.join(dir, "config.json"), "{}");
    const wrongExtension = await cli(["demo", "--config", "config.json"]);
    expect(wrongExtension.code).toBe(2);
    expect(wrongExtension.stderr).toBe(
      "error: --config ($BATON_CONFIG_PATH): config file config.json must end in .yaml or .yml\n",
    );
  });

  it("runs a plugin named by BATON_PLUGIN when the first argument is a flag", async () => {
    const result = await cli(["--users", "nope"], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--users \(\$BATON_USERS\)/);
  });
});
