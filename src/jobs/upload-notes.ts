/**
 * A multipart upload in flight, noted in a file beside the work file before its first
 * part goes up. S3 keeps (and bills) the parts of an open upload until it is aborted, and
 * a process killed mid-upload cannot abort its own; the next run finds the note and does.
 * The note holds the location without credentials (`describeDestination`) and the upload
 * id; the next run supplies the credentials of the same destination.
 */
import { readFile, rm } from "node:fs/promises";
import { writeFileAtomic } from "../c1z/file.ts";
import { type Destination, parseDestination, type TransferOptions } from "../upload/index.ts";
import { abortMultipartUpload, type OpenUpload, type StreamSaveOptions } from "../upload/stream.ts";

export interface UploadNotes {
  /** For `onMultipartCreated`: notes the upload before its first part. */
  note(upload: OpenUpload): Promise<void>;
  /** Aborts the upload a previous run left noted (an upload already gone is fine), then drops the note. */
  abortLeftover(credentialsFrom: Destination, options: TransferOptions): Promise<string | undefined>;
  /** The upload completed: nothing to abort. */
  clear(): Promise<void>;
  /** The save options that note each upload before its first part and drop the note once it is completed or aborted. */
  readonly hooks: Pick<StreamSaveOptions, "onMultipartCreated" | "onMultipartEnded">;
}

export function uploadNotes(path: string): UploadNotes {
  const note = async (upload: OpenUpload) => {
    await writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(upload)));
  };
  const clear = () => rm(path, { force: true });
  return {
    note,
    async abortLeftover(credentialsFrom, options) {
      const text = await readFile(path, "utf8").catch(() => undefined);
      if (text === undefined) return undefined;
      const left = JSON.parse(text) as OpenUpload;
      const at = parseDestination(left.destination);
      const location =
        at.kind === "s3" && credentialsFrom.kind === "s3" ? { ...at, credentials: credentialsFrom.credentials } : at;
      await abortMultipartUpload(location, left.uploadId, options);
      await rm(path, { force: true });
      return left.uploadId;
    },
    clear,
    hooks: { onMultipartCreated: note, onMultipartEnded: clear },
  };
}

/**
 * Aborts the upload a killed run left noted before this run uploads again. A failed abort
 * only warns and keeps the note for a later run: the sync itself must not stop for it.
 */
export async function abortLeftoverUpload(
  notes: UploadNotes,
  credentialsFrom: Destination,
  options: TransferOptions,
  warn: (message: string) => void,
  what: string,
): Promise<void> {
  try {
    const aborted = await notes.abortLeftover(credentialsFrom, options);
    if (aborted) warn(`${what}: aborted multipart upload ${aborted} that a killed run left open`);
  } catch (error) {
    warn(
      `${what}: could not abort the multipart upload a killed run left open: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
