/** A sync's export as an HTTP download (the API's export routes and both explorers). */
import { csvChunks } from "./csv.ts";
import { exportRows } from "./export-rows.ts";
import type { HeldSync } from "./source.ts";
import { pullStream } from "./stream.ts";
import { XLSX_CONTENT_TYPE, xlsxChunks } from "./xlsx.ts";

/** `attachment; filename=…` with a plain ASCII name and the exact one in RFC 5987 form. */
export function attachment(filename: string): string {
  const ascii = filename.replace(/[^A-Za-z0-9._-]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/** Streams the export and releases the held sync once the body is read or dropped. */
export function exportResponse(opened: HeldSync, format: "xlsx" | "csv", filename: string): Response {
  const chunks =
    format === "xlsx" ? xlsxChunks(exportRows(opened.store, opened.syncId)) : csvChunks(opened.store, opened.syncId);
  return new Response(
    pullStream(chunks, () => opened.release()),
    {
      status: 200,
      headers: {
        "content-type": format === "xlsx" ? XLSX_CONTENT_TYPE : "text/csv; charset=utf-8",
        "content-disposition": attachment(filename),
      },
    },
  );
}
