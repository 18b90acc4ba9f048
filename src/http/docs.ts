/** A self-contained HTML page listing every route (no scripts, no external assets). */

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

interface Operation {
  summary?: string;
  description?: string;
  "x-required-scope"?: string;
  "x-requires-provisioning"?: boolean;
  parameters?: { name: string; in: string; required?: boolean }[];
}

export function docsPage(document: Record<string, unknown>): string {
  const info = document.info as { title: string; version: string; description: string };
  const paths = document.paths as Record<string, Record<string, Operation>>;
  const rows: string[] = [];
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? [])
        .map((p) => `${escapeHtml(p.name)} <small>(${escapeHtml(p.in)}${p.required ? ", required" : ""})</small>`)
        .join("<br>");
      const scope = op["x-required-scope"] ?? "public";
      rows.push(
        `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${escapeHtml(path)}</code></td>` +
          `<td>${escapeHtml(op.summary ?? "")}${op.description ? `<br><small>${escapeHtml(op.description)}</small>` : ""}</td>` +
          `<td>${escapeHtml(scope)}${op["x-requires-provisioning"] ? "<br><small>+ provisioning enabled</small>" : ""}</td>` +
          `<td>${params}</td></tr>`,
      );
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(info.title)} API</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}code{white-space:nowrap}</style>
</head><body><h1>${escapeHtml(info.title)} <small>${escapeHtml(info.version)}</small></h1>
<p>${escapeHtml(info.description)}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<table><thead><tr><th>Method</th><th>Path</th><th>What</th><th>Scope</th><th>Parameters</th></tr></thead>
<tbody>${rows.join("\n")}</tbody></table></body></html>`;
}
