/**
 * pflag-style argument parsing: `--name value`, `--name=value`, `-f value`,
 * `-fvalue`, bare boolean flags, `--bool=false`, repeated list flags, `--`.
 */
import type { RawValue } from "../plugins/config.ts";

export type FlagKind = "string" | "integer" | "number" | "boolean" | "string-list" | "select";

export interface FlagSpec {
  /** Without dashes. */
  name: string;
  short?: string;
  kind: FlagKind;
  env: string;
  description: string;
  default?: unknown;
  hidden?: boolean;
  secret?: boolean;
}

/** A mistake in how the command was typed; the CLI prints it on one line and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, RawValue>;
}

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const byShort = new Map(specs.filter((spec) => spec.short).map((spec) => [spec.short!, spec]));
  const positionals: string[] = [];
  const flags: Record<string, RawValue> = {};
  const describe = (spec: FlagSpec) => `--${spec.name} ($${spec.env})`;
  const set = (spec: FlagSpec, value: string | boolean) => {
    if (spec.kind === "string-list") {
      const previous = flags[spec.name];
      flags[spec.name] = [...(Array.isArray(previous) ? previous : []), String(value)];
    } else {
      flags[spec.name] = value;
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq === -1 ? undefined : eq);
      const spec = byName.get(name);
      if (!spec) throw new UsageError(`unknown flag --${name}`);
      if (eq !== -1) {
        set(spec, arg.slice(eq + 1));
      } else if (spec.kind === "boolean") {
        set(spec, true);
      } else {
        if (i + 1 >= argv.length) throw new UsageError(`flag ${describe(spec)} needs a value`);
        set(spec, argv[++i]);
      }
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      // Short flags may be bundled (`-pf file`); a value flag takes the rest of the group or the next argument.
      for (let j = 1; j < arg.length; j++) {
        const spec = byShort.get(arg[j]);
        if (!spec) throw new UsageError(`unknown shorthand flag -${arg[j]} in ${arg}`);
        if (spec.kind === "boolean") {
          set(spec, true);
          continue;
        }
        const rest = arg.slice(j + 1).replace(/^=/, "");
        if (rest !== "") set(spec, rest);
        else if (i + 1 < argv.length) set(spec, argv[++i]);
        else throw new UsageError(`flag -${spec.short}, ${describe(spec)} needs a value`);
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { positionals, flags };
}
