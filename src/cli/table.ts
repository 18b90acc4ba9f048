/** Plain aligned tables for the terminal (Baton's inspector prints pterm tables). */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : (cell ?? "").padEnd(widths[i])))
      .join(" | ")
      .trimEnd();
  return `${[line(headers), widths.map((w) => "-".repeat(w)).join("-+-"), ...rows.map(line)].join("\n")}\n`;
}
