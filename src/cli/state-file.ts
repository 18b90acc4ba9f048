import { readFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { writeFileAtomic } from "../c1z/file.ts";
import type { PluginStateStore } from "../plugins/contract.ts";
import { isRemote } from "../upload/index.ts";

/** `<file>.<plugin>-state.json` next to a local c1z; none for remote destinations. */
export function stateFilePath(file: string, plugin: string, cwd: string): string | undefined {
  if (isRemote(file)) return undefined;
  const full = isAbsolute(file) ? file : join(cwd, file);
  return `${full}.${plugin}-state.json`;
}

export function fileStateStore(path: string): PluginStateStore {
  return {
    async load() {
      try {
        return await readFile(path, "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
    },
    async save(text) {
      await writeFileAtomic(path, new TextEncoder().encode(text));
    },
  };
}
