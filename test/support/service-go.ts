/**
 * The stand-in ConductorOne API of test/interop/service-go (baton-sdk's own
 * BatonService stubs and c1z reader): built once per process, started per
 * scenario in a temp dir, stopped by process id.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../cli-support.ts";
import { type Found, findCommand, run } from "../interop/tools.ts";

const goDir = path.join(repoRoot, "test/interop/service-go");
let built: Found<string> | undefined;

/** Builds bin/service-go; missing only when `go` is absent. */
export function serviceGo(): Found<string> {
  if (built) return built;
  const go = findCommand("go", ["/usr/local/go/bin/go"]);
  if (!go.ok) {
    built = go;
    return built;
  }
  const result = run("bash", [path.join(goDir, "build.sh")], {
    env: { ...process.env, GO: go.value },
    timeoutMs: 15 * 60_000,
  });
  if (result.status === 3) built = { ok: false, reason: result.stderr.trim() };
  else if (result.status !== 0)
    throw new Error(`test/interop/service-go/build.sh failed: ${result.stderr.slice(0, 2000)}`);
  else built = { ok: true, value: path.join(goDir, "bin/service-go") };
  return built;
}

export interface TaskRecord {
  name: string;
  id: string;
  heartbeatsMs: number[] | null;
  finish: {
    taskId: string;
    success: boolean;
    code: number;
    message: string;
    nonRetryable: boolean;
    responseType: string;
  } | null;
  upload: {
    taskId: string;
    hostId: string;
    bytes: number;
    chunks: number[];
    sha256: string;
    eofChecksum: string;
    counts: { resourceTypes: number; resources: number; entitlements: number; grants: number };
    syncType: string;
    resourceTypeIds: string[];
    secretInFile: boolean;
  } | null;
}

export interface ServerReport {
  scenario: string;
  failures: string[];
  facts: Record<string, unknown>;
  tasks: TaskRecord[];
  hellos: Record<string, unknown>[];
  tokenRequests: number;
  userAgents: string[] | null;
  assertion: Record<string, unknown> | null;
}

export interface RunningServer {
  port: number;
  dir: string;
  /** The client secret the server accepts, for edge-test@c1.test/pcc. */
  secret: string;
  caFile: string;
  /** Resolves when the server prints this line. */
  line(text: string, timeoutMs?: number): Promise<void>;
  report(): ServerReport;
  task(name: string): TaskRecord;
  stop(): void;
}

export const CLIENT_ID = "edge-test@c1.test/pcc";
export const HOST_ID = "edge-host-1";

export async function startServiceGo(
  binary: string,
  dir: string,
  scenario: string,
  extra: string[] = [],
): Promise<RunningServer> {
  const child: ChildProcess = spawn(binary, ["-dir", dir, "-scenario", scenario, ...extra], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    for (const waiter of [...waiters]) {
      if (stdout.includes(waiter.text)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const line = (text: string, timeoutMs = 120_000) =>
    new Promise<void>((resolve, reject) => {
      if (stdout.includes(text)) return resolve();
      const timer = setTimeout(
        () => reject(new Error(`service-go never printed ${text}; stdout: ${stdout} stderr: ${stderr.slice(-2000)}`)),
        timeoutMs,
      );
      waiters.push({
        text,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  await line("LISTENING", 30_000);
  const port = Number(/LISTENING (\d+)/.exec(stdout)![1]);
  const report = () => JSON.parse(readFileSync(path.join(dir, "report.json"), "utf8")) as ServerReport;
  return {
    port,
    dir,
    secret: readFileSync(path.join(dir, "secret.txt"), "utf8"),
    caFile: path.join(dir, "ca.pem"),
    line,
    report,
    task(name) {
      const found = report().tasks.find((t) => t.name === name);
      if (!found) throw new Error(`the server handed out no task ${name}`);
      return found;
    },
    stop() {
      if (child.exitCode === null && child.pid) process.kill(child.pid, "SIGKILL");
    },
  };
}

/** A baton-edge process (Node, Bun or Deno) in service mode, stopped by pid. */
export interface ClientProcess {
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
  output(): { stdout: string; stderr: string };
  signal(name: NodeJS.Signals): void;
}

export function startClient(command: string[], env: NodeJS.ProcessEnv, cwd: string): ClientProcess {
  const child = spawn(command[0], command.slice(1), { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  return {
    exited,
    output: () => ({ stdout, stderr }),
    signal(name) {
      if (child.exitCode === null && child.pid) process.kill(child.pid, name);
    },
  };
}
