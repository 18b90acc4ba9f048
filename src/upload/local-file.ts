/** Local c1z files, through node:fs (Node, Bun, Deno; a virtual fs on Workers). */
import { readFile, rm } from "node:fs/promises";

export { writeFileAtomic } from "../c1z/file.ts";

export async function readC1zBytesIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined;
    throw error;
  }
}

export async function removeFileIfExists(path: string): Promise<void> {
  await rm(path, { force: true });
}
