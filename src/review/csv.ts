/**
 * `baton export csv`: the export rows as CSV the way Go's encoding/csv writes
 * them (comma, `\n` line ends, quotes only where needed), with spreadsheet
 * formulas neutralised.
 */
import type { C1zReader } from "../c1z/store.ts";
import { exportRows, neutraliseFormula } from "./export-rows.ts";

/** Go's `fieldNeedsQuotes`: separators, quotes, line breaks, a leading space, or `\.`. */
function csvField(value: string): string {
  const cell = neutraliseFormula(value);
  if (cell === "") return cell;
  if (cell === "\\." || /[",\r\n]/.test(cell) || /^\s/u.test(cell)) return `"${cell.replaceAll('"', '""')}"`;
  return cell;
}

export function csvLine(row: readonly string[]): string {
  return `${row.map(csvField).join(",")}\n`;
}

/** The CSV text in pieces of about `chunkBytes` characters. */
export function* csvChunks(reader: C1zReader, syncId: string, chunkBytes = 64 * 1024): Generator<string> {
  let buffer = "";
  for (const row of exportRows(reader, syncId)) {
    buffer += csvLine(row);
    if (buffer.length >= chunkBytes) {
      yield buffer;
      buffer = "";
    }
  }
  if (buffer !== "") yield buffer;
}
