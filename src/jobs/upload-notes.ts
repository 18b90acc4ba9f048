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
import { abortMultipartUpload, type OpenUpload } from "../upload/stream.ts";

export interface UploadNotes {
  /** For `onMultipartCreated`: notes the upload before its first part. */
  note(upload: OpenUpload): Promise<void>;
  /** Aborts the upload a previous run left noted (an upload already gone is fine), then drops the note. */
  abortLeftover(credentialsFrom: Destination, options: TransferOptions): Promise<string | undefined>;
  /** The upload completed: nothing to abort. */
  clear(): Promise<void>;
}

export function uploadNotes(path: string): UploadNotes {
  return {
    async note(upload) {
      await writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(upload)));
    },
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
    clear: () => rm(path, { force: true }),
  };
}
