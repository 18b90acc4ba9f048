import { strFromU8, unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { rowXml, xlsxChunks, xmlText } from "./xlsx.ts";

function workbook(rows: string[][], perSheet?: number): Record<string, string> {
  const chunks = [...xlsxChunks(rows, perSheet)];
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return Object.fromEntries(Object.entries(unzipSync(bytes)).map(([name, data]) => [name, strFromU8(data)]));
}

describe("xlsx", () => {
  it("continues past the per-sheet row limit on Sheet2 under the same header", () => {
    const files = workbook(
      [
        ["H1", "H2"],
        ["a", "1"],
        ["b", "2"],
        ["c", "3"],
      ],
      3,
    );
    expect(Object.keys(files).sort()).toEqual([
      "[Content_Types].xml",
      "_rels/.rels",
      "xl/_rels/workbook.xml.rels",
      "xl/styles.xml",
      "xl/workbook.xml",
      "xl/worksheets/sheet1.xml",
      "xl/worksheets/sheet2.xml",
    ]);
    expect(files["xl/workbook.xml"]).toContain('<sheet name="Sheet2" sheetId="2" r:id="rId2"/>');
    expect(files["xl/_rels/workbook.xml.rels"]).toContain(
      'Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"',
    );
    expect(files["xl/worksheets/sheet1.xml"]).toContain('<row r="3">');
    expect(files["xl/worksheets/sheet1.xml"]).not.toContain('<row r="4">');
    expect(files["xl/worksheets/sheet2.xml"]).toContain(
      '<c r="A1" t="inlineStr" s="1"><is><t xml:space="preserve">H1</t>',
    );
    expect(files["xl/worksheets/sheet2.xml"]).toContain('<c r="A2" t="inlineStr"><is><t xml:space="preserve">c</t>');
  });

  it("escapes markup, drops what XML 1.0 cannot hold, and marks formula starts with quotePrefix", () => {
    expect(xmlText('<a href="x">&</a>')).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
    expect(xmlText("a\u0000b\u0007c\ud800d😀")).toBe("a\ufffdb\ufffdc\ufffdd😀");
    const row = rowXml(["=1+1", "", "ok", "@x"], 7);
    expect(row).toBe(
      '<row r="7"><c r="A7" t="inlineStr" s="2"><is><t xml:space="preserve">=1+1</t></is></c>' +
        '<c r="C7" t="inlineStr"><is><t xml:space="preserve">ok</t></is></c>' +
        '<c r="D7" t="inlineStr" s="2"><is><t xml:space="preserve">@x</t></is></c></row>',
    );
  });
});
