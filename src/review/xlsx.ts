/**
 * `baton export xlsx`: the export rows as an Office Open XML workbook, streamed
 * through fflate's zip a few rows at a time (inline strings, so no shared-string
 * table grows with the data). A bold, frozen header row and fixed column widths;
 * text cells only, and those that start like a formula carry Excel's quotePrefix
 * style so an edit never turns them into one. Past Excel's 1,048,576 rows a sheet
 * the rows continue on Sheet2, Sheet3, … under the same header.
 */
import { Zip, ZipDeflate, ZipPassThrough } from "fflate";
import { EXPORT_HEADERS } from "./export-rows.ts";

export const XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const MAX_ROWS_PER_SHEET = 1_048_576;
/** Excel's limit on the characters in one cell. */
const MAX_CELL_CHARS = 32_767;
const COLUMN_WIDTHS = [12, 18, 18, 22, 12, 30, 30, 40, 18, 30, 40, 18];
const CHUNK_CHARS = 64 * 1024;

const MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships";
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

const STYLE_HEADER = 1;
const STYLE_QUOTED = 2;

/** XML 1.0 cannot carry C0 controls (but tab, LF, CR), U+FFFE/U+FFFF or lone surrogates: they become U+FFFD. */
function xmlSafe(value: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    let bad = (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0xfffe || code === 0xffff;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      bad = true;
    } else if (code >= 0xdc00 && code <= 0xdfff) bad = true;
    if (bad) {
      out += `${value.slice(from, i)}\ufffd`;
      from = i + 1;
    }
  }
  return from === 0 ? value : out + value.slice(from);
}

export function xmlText(value: string): string {
  return xmlSafe(value)
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

function columnName(index: number): string {
  let name = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

function cellXml(value: string, ref: string, header: boolean): string {
  if (value === "") return "";
  const text = value.length > MAX_CELL_CHARS ? value.slice(0, MAX_CELL_CHARS) : value;
  const style = header ? STYLE_HEADER : /^[=+\-@\t\r]/.test(text) ? STYLE_QUOTED : 0;
  return `<c r="${ref}" t="inlineStr"${style ? ` s="${style}"` : ""}><is><t xml:space="preserve">${xmlText(text)}</t></is></c>`;
}

export function rowXml(cells: readonly string[], rowNumber: number, header = false): string {
  return `<row r="${rowNumber}">${cells.map((cell, i) => cellXml(cell, `${columnName(i)}${rowNumber}`, header)).join("")}</row>`;
}

function sheetStart(): string {
  const cols = COLUMN_WIDTHS.map((width, i) => `<col min="${i + 1}" max="${i + 1}" width="${width}" customWidth="1"/>`);
  return (
    `${XML_HEAD}<worksheet xmlns="${MAIN_NS}" xmlns:r="${REL_NS}">` +
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' +
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>' +
    `<sheetFormatPr defaultRowHeight="15"/><cols>${cols.join("")}</cols><sheetData>`
  );
}

const SHEET_END = "</sheetData></worksheet>";

function staticParts(sheets: number): [string, string][] {
  const names = Array.from({ length: sheets }, (_, i) => i + 1);
  return [
    [
      "xl/workbook.xml",
      `${XML_HEAD}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><bookViews><workbookView/></bookViews><sheets>${names
        .map((n) => `<sheet name="Sheet${n}" sheetId="${n}" r:id="rId${n}"/>`)
        .join("")}</sheets></workbook>`,
    ],
    [
      "xl/_rels/workbook.xml.rels",
      `${XML_HEAD}<Relationships xmlns="${PKG_REL_NS}">${names
        .map((n) => `<Relationship Id="rId${n}" Type="${REL_NS}/worksheet" Target="worksheets/sheet${n}.xml"/>`)
        .join("")}<Relationship Id="rId${sheets + 1}" Type="${REL_NS}/styles" Target="styles.xml"/></Relationships>`,
    ],
    [
      "xl/styles.xml",
      `${XML_HEAD}<styleSheet xmlns="${MAIN_NS}">` +
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>' +
        '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>' +
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>' +
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/></cellXfs>' +
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
    ],
    [
      "_rels/.rels",
      `${XML_HEAD}<Relationships xmlns="${PKG_REL_NS}"><Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    ],
    [
      "[Content_Types].xml",
      `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
        names
          .map(
            (n) =>
              `<Override PartName="/xl/worksheets/sheet${n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`,
          )
          .join("") +
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
        "</Types>",
    ],
  ];
}

/**
 * The workbook's bytes in pieces, from rows whose first is the header. The sheets
 * go into the zip first (their count is known only at the end), the small parts
 * after them; zip readers find entries through the central directory.
 */
export function* xlsxChunks(
  rows: Iterable<readonly string[]>,
  maxRowsPerSheet = MAX_ROWS_PER_SHEET,
): Generator<Uint8Array> {
  const out: Uint8Array[] = [];
  let failure: Error | null = null;
  const zip = new Zip((error, chunk) => {
    if (error) failure = error;
    else out.push(chunk);
  });
  const encoder = new TextEncoder();
  const drain = function* () {
    if (failure) throw failure;
    while (out.length > 0) yield out.shift() as Uint8Array;
  };

  let header: readonly string[] = [];
  let sheets = 0;
  let sheet: ZipDeflate | undefined;
  let rowNumber = 0;
  let buffer = "";
  const flush = (final: boolean) => {
    sheet?.push(encoder.encode(buffer), final);
    buffer = "";
  };
  const openSheet = () => {
    sheets++;
    sheet = new ZipDeflate(`xl/worksheets/sheet${sheets}.xml`, { level: 6 });
    zip.add(sheet);
    buffer = sheetStart() + rowXml(header, 1, true);
    rowNumber = 1;
  };

  let first = true;
  for (const row of rows) {
    if (first) {
      header = row;
      first = false;
      openSheet();
      continue;
    }
    if (rowNumber >= maxRowsPerSheet) {
      buffer += SHEET_END;
      flush(true);
      yield* drain();
      openSheet();
    }
    rowNumber++;
    buffer += rowXml(row, rowNumber);
    if (buffer.length >= CHUNK_CHARS) {
      flush(false);
      yield* drain();
    }
  }
  if (first) {
    header = [...EXPORT_HEADERS];
    openSheet();
  }
  buffer += SHEET_END;
  flush(true);
  yield* drain();
  for (const [name, xml] of staticParts(sheets)) {
    const part = new ZipPassThrough(name);
    zip.add(part);
    part.push(encoder.encode(xml), true);
    yield* drain();
  }
  zip.end();
  yield* drain();
}
