#!/usr/bin/env node
// Node needs a TypeScript loader so plugins in plugins/ load with no build step;
// Bun and Deno run src/cli/main.ts directly.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
