/** What a CLI command touches outside itself, so tests can run it in-process too. */
export interface CliIO {
  env: Record<string, string | undefined>;
  cwd: string;
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stderr is a terminal: progress lines and console logs. */
  stderrIsTTY: boolean;
}

/** Exit codes: 0 ok, 1 runtime failure, 2 usage or config error. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function processIO(): CliIO {
  return {
    env: process.env,
    cwd: process.cwd(),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stderrIsTTY: process.stderr.isTTY === true,
  };
}

/** Errors and messages stay on one line: a multi-line message would break log scrapers and the exit-2 contract. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}
