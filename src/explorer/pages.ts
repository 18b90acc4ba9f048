/**
 * The explorer's pages, rendered on the server with Hono's `html` template:
 * every interpolated value is escaped, so names from a connector (quotes,
 * markup, any unicode) always arrive as text. Each page is a fragment the
 * browser script puts into the shell; links are the shell's own URLs.
 */
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { SyncStats } from "../c1z/store.ts";
import type { Entitlement, Grant, Resource, ResourceType } from "../model/types.ts";
import { ResourceType_Trait } from "../model/types.ts";
import type { Page } from "../review/browse.ts";
import {
  CHANGE_KINDS,
  type Change,
  DIFF_SECTIONS,
  type DiffCounts,
  type DiffCursor,
  type DiffSection,
  encodeCursor,
} from "../review/diff.ts";
import type { ReviewSync } from "../review/source.ts";

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const enc = encodeURIComponent;

/** Shell URLs: /ui/c/{connector}/… with every segment encoded. */
export const urls = {
  home: () => "/ui",
  syncs: (name: string) => `/ui/c/${enc(name)}`,
  sync: (name: string, sync: string) => `/ui/c/${enc(name)}/s/${enc(sync)}`,
  type: (name: string, sync: string, type: string, query: Record<string, string | undefined> = {}) =>
    withQuery(`/ui/c/${enc(name)}/s/${enc(sync)}/t/${enc(type)}`, query),
  resource: (name: string, sync: string, type: string, id: string, query: Record<string, string | undefined> = {}) =>
    withQuery(`/ui/c/${enc(name)}/s/${enc(sync)}/r/${enc(type)}/${enc(id)}`, query),
  principal: (name: string, sync: string, type: string, id: string, query: Record<string, string | undefined> = {}) =>
    withQuery(`/ui/c/${enc(name)}/s/${enc(sync)}/p/${enc(type)}/${enc(id)}`, query),
  diff: (name: string, query: Record<string, string | undefined> = {}) => withQuery(`/ui/c/${enc(name)}/diff`, query),
  export: (name: string, sync: string, format: "xlsx" | "csv") => `/ui/c/${enc(name)}/s/${enc(sync)}/export.${format}`,
};

function withQuery(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== "") params.set(key, value);
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** The page every /ui URL answers with: no data, only the chrome, the sign-in template and the script. */
export function shellPage(options: { auth: boolean }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>baton-edge explorer</title>
<link rel="stylesheet" href="/ui/assets/app.css">
</head>
<body data-auth="${options.auth ? "on" : "off"}">
<header class="top"><a class="brand" href="/ui">baton-edge explorer</a><span class="spacer"></span>
<button type="button" id="sign-out" hidden>Sign out</button></header>
<main id="main"><noscript>The explorer needs JavaScript.</noscript></main>
<template id="signin-template">
<section class="signin">
<h1>Sign in</h1>
<p data-message class="muted"></p>
<form id="signin">
<label for="token">Bearer token</label>
<textarea id="token" name="token" autocomplete="off" spellcheck="false" required></textarea>
<p class="muted">Kept in this tab's session storage only, and sent as <code>Authorization: Bearer</code>.</p>
<button type="submit">Sign in</button>
</form>
</section>
</template>
<script src="/ui/assets/app.js"></script>
</body>
</html>
`;
}

function crumbs(parts: (readonly [string, string] | string)[]): Html {
  return html`<nav class="crumbs">${parts.map((part, i) => html`${i > 0 ? " / " : ""}${typeof part === "string" ? part : html`<a href="${part[1]}">${part[0]}</a>`}`)}</nav>`;
}

function syncCrumbs(name: string, sync: ReviewSync, more: (readonly [string, string] | string)[] = []): Html {
  return crumbs([
    ["Connectors", urls.home()],
    [name, urls.syncs(name)],
    [`sync ${sync.id}`, urls.sync(name, sync.id)],
    ...more,
  ]);
}

function time(value: string | null): string {
  if (!value) return "";
  return value.replace("T", " ").replace(/\.\d+/, "").replace(/Z$/, " UTC");
}

function duration(ms: number | null): string {
  if (ms === null) return "";
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function number(n: number | undefined): string {
  return (n ?? 0).toLocaleString("en-US");
}

function pager(next: string | null, nextUrl: (after: string) => string, firstUrl: string | null): Html {
  return html`<div class="pager">${firstUrl ? html`<a href="${firstUrl}">« First page</a>` : ""}${next !== null ? html`<a href="${nextUrl(next)}" data-testid="next-page">Next page »</a>` : ""}</div>`;
}

function resourceKey(resource: { resourceType: string; resource: string } | undefined): string {
  return resource ? `${resource.resourceType}:${resource.resource}` : "";
}

export function homePage(connectors: string[]): Html {
  return html`<h1>Connectors</h1>
<table><thead><tr><th>Connector</th></tr></thead><tbody>
${connectors.map((name) => html`<tr><td><a href="${urls.syncs(name)}">${name}</a></td></tr>`)}
</tbody></table>`;
}

export function syncsPage(name: string, syncs: ReviewSync[]): Html {
  const readable = syncs.filter((sync) => sync.readable);
  return html`${crumbs([["Connectors", urls.home()], name])}
<h1>${name}: sync history</h1>
${
  readable.length >= 2
    ? html`<form class="inline" data-nav action="${urls.diff(name)}">Compare
<select name="from" aria-label="older sync">${readable.map((s, i) => html`<option value="${s.id}"${i === 1 ? raw(" selected") : ""}>${s.id}</option>`)}</select>
with <select name="to" aria-label="newer sync">${readable.map((s, i) => html`<option value="${s.id}"${i === 0 ? raw(" selected") : ""}>${s.id}</option>`)}</select>
<button type="submit">Diff</button></form>`
    : html`<p class="muted">A diff needs two finished syncs.</p>`
}
<table data-testid="syncs"><thead><tr><th>Sync</th><th>State</th><th>Type</th><th>Started</th><th>Ended</th><th>Duration</th>
<th class="num">Resources</th><th class="num">Entitlements</th><th class="num">Grants</th><th>Phases</th><th>Warnings</th><th>Export</th></tr></thead><tbody>
${syncs.map((sync) => {
  const previous = readable[readable.indexOf(sync) + 1];
  return html`<tr>
<td>${sync.readable ? html`<a href="${urls.sync(name, sync.id)}">${sync.id}</a>` : sync.id}${sync.syncId && sync.syncId !== sync.id ? html`<br><code class="muted">${sync.syncId}</code>` : ""}</td>
<td><span class="badge ${sync.state}">${sync.state}</span>${sync.error ? html`<div class="error">${sync.error.title}: ${sync.error.detail}</div>` : ""}</td>
<td>${sync.syncType}</td><td>${time(sync.startedAt)}</td><td>${time(sync.endedAt)}</td><td>${duration(sync.durationMs)}</td>
<td class="num">${number(sync.counts.resources)}</td><td class="num">${number(sync.counts.entitlements)}</td><td class="num">${number(sync.counts.grants)}</td>
<td>${sync.phases.length ? html`<details><summary>${sync.phases.length} phases</summary><ul class="plain">${sync.phases.map((p) => html`<li>${p.phase} <span class="muted">${time(p.at)}</span></li>`)}</ul></details>` : ""}</td>
<td>${sync.warnings.length ? html`<ul class="plain">${sync.warnings.map((w) => html`<li>${w}</li>`)}</ul>` : ""}</td>
<td>${
    sync.readable
      ? html`<a href="${urls.export(name, sync.id, "xlsx")}" data-download="${name}-${sync.id}.xlsx">XLSX</a> · <a href="${urls.export(name, sync.id, "csv")}" data-download="${name}-${sync.id}.csv">CSV</a>${previous ? html` · <a href="${urls.diff(name, { from: previous.id, to: sync.id })}">diff</a>` : ""}`
      : ""
  }</td>
</tr>`;
})}
</tbody></table>`;
}

function traitNames(type: ResourceType): string {
  return type.traits.map((trait) => ResourceType_Trait[trait]?.toLowerCase() ?? String(trait)).join(", ");
}

export function typesPage(name: string, sync: ReviewSync, types: ResourceType[], stats: SyncStats): Html {
  return html`${syncCrumbs(name, sync)}
<h1>Resource types of sync ${sync.id}</h1>
<p><a href="${urls.export(name, sync.id, "xlsx")}" data-download="${name}-${sync.id}.xlsx">Download XLSX</a> ·
<a href="${urls.export(name, sync.id, "csv")}" data-download="${name}-${sync.id}.csv">Download CSV</a></p>
<table data-testid="types"><thead><tr><th>Resource type</th><th>Id</th><th>Traits</th><th class="num">Resources</th><th class="num">Entitlements</th><th class="num">Grants</th></tr></thead><tbody>
${types.map(
  (
    type,
  ) => html`<tr data-type="${type.id}"><td><a href="${urls.type(name, sync.id, type.id)}">${type.displayName || type.id}</a></td><td><code>${type.id}</code></td><td>${traitNames(type)}</td>
<td class="num" data-testid="resources">${number(stats.resources_by_resource_type?.[type.id])}</td>
<td class="num">${number(stats.entitlements_by_resource_type?.[type.id])}</td>
<td class="num">${number(stats.grants_by_resource_type?.[type.id])}</td></tr>`,
)}
</tbody></table>`;
}

export function resourcesPage(
  name: string,
  sync: ReviewSync,
  type: ResourceType | undefined,
  typeId: string,
  page: Page<Resource> & { total: number },
  query: { q?: string; after?: string },
): Html {
  const title = type?.displayName || typeId;
  return html`${syncCrumbs(name, sync, [title])}
<h1>${title}</h1>
<form class="inline" data-nav action="${urls.type(name, sync.id, typeId)}" role="search">
<input type="search" name="q" value="${query.q ?? ""}" placeholder="Search id or name" aria-label="Search">
<button type="submit">Search</button>${query.q ? html` <a href="${urls.type(name, sync.id, typeId)}">clear</a>` : ""}</form>
<p class="muted"><span data-testid="total">${number(page.total)}</span> resources${query.q ? html`; showing those matching “${query.q}”` : ""}${query.after ? "; a later page" : ""}.</p>
<table data-testid="resources"><thead><tr><th>Display name</th><th>Id</th><th>Parent</th></tr></thead><tbody>
${page.items.map(
  (
    r,
  ) => html`<tr><td><a href="${urls.resource(name, sync.id, r.id?.resourceType ?? "", r.id?.resource ?? "")}">${r.displayName || r.id?.resource}</a></td>
<td><code>${r.id?.resource}</code></td><td>${r.parentResourceId ? html`<a href="${urls.resource(name, sync.id, r.parentResourceId.resourceType, r.parentResourceId.resource)}">${resourceKey(r.parentResourceId)}</a>` : ""}</td></tr>`,
)}
</tbody></table>
${page.items.length === 0 ? html`<p class="muted">No resources${query.q ? " match" : ""}.</p>` : ""}
${pager(page.next, (after) => urls.type(name, sync.id, typeId, { q: query.q, after }), query.after ? urls.type(name, sync.id, typeId, { q: query.q }) : null)}`;
}

function grantsTable(
  name: string,
  sync: ReviewSync,
  grants: Grant[],
  entitlementNames: (id: string) => string,
  show: "principal" | "resource",
): Html {
  return html`<table data-testid="grants"><thead><tr><th>Entitlement</th><th>${show === "principal" ? "Principal" : "Resource"}</th><th>Grant id</th></tr></thead><tbody>
${grants.map((g) => {
  const principal = g.principal?.id;
  const owner = g.entitlement?.resource?.id;
  const other =
    show === "principal"
      ? principal
        ? html`<a href="${urls.principal(name, sync.id, principal.resourceType, principal.resource)}">${g.principal?.displayName || resourceKey(principal)}</a>`
        : ""
      : owner
        ? html`<a href="${urls.resource(name, sync.id, owner.resourceType, owner.resource)}">${g.entitlement?.resource?.displayName || resourceKey(owner)}</a>`
        : "";
  return html`<tr><td>${entitlementNames(g.entitlement?.id ?? "")}</td><td>${other}</td><td><code>${g.id}</code></td></tr>`;
})}
</tbody></table>`;
}

export function resourcePage(
  name: string,
  sync: ReviewSync,
  typeId: string,
  id: string,
  resource: Resource | undefined,
  entitlements: Entitlement[],
  grantCounts: Map<string, number>,
  grants: Page<Grant> & { total: number },
  after: string | undefined,
): Html {
  const title = resource?.displayName || id;
  const names = new Map(entitlements.map((e) => [e.id, e.displayName || e.slug || e.id]));
  return html`${syncCrumbs(name, sync, [[typeId, urls.type(name, sync.id, typeId)], title])}
<h1>${title}</h1>
${resource ? "" : html`<p class="error">No resource ${typeId}:${id} in this sync.</p>`}
<p><code>${typeId}:${id}</code>${resource?.description ? html` · ${resource.description}` : ""}${resource?.parentResourceId ? html` · parent <a href="${urls.resource(name, sync.id, resource.parentResourceId.resourceType, resource.parentResourceId.resource)}">${resourceKey(resource.parentResourceId)}</a>` : ""}
 · <a href="${urls.principal(name, sync.id, typeId, id)}">access held by this resource</a></p>
<h2>Entitlements (<span data-testid="entitlement-count">${entitlements.length}</span>)</h2>
<table data-testid="entitlements"><thead><tr><th>Entitlement</th><th>Slug</th><th>Id</th><th class="num">Grants</th></tr></thead><tbody>
${entitlements.map((e) => html`<tr><td>${e.displayName}</td><td>${e.slug}</td><td><code>${e.id}</code></td><td class="num">${number(grantCounts.get(e.id))}</td></tr>`)}
</tbody></table>
<h2>Grants (<span data-testid="grant-count">${grants.total}</span>)</h2>
${grantsTable(name, sync, grants.items, (eid) => names.get(eid) ?? eid, "principal")}
${pager(grants.next, (next) => urls.resource(name, sync.id, typeId, id, { after: next }), after ? urls.resource(name, sync.id, typeId, id) : null)}`;
}

export function principalPage(
  name: string,
  sync: ReviewSync,
  typeId: string,
  id: string,
  principal: Resource | undefined,
  grants: Page<Grant> & { total: number },
  entitlementName: (id: string) => string,
  after: string | undefined,
): Html {
  const title = principal?.displayName || id;
  return html`${syncCrumbs(name, sync, [[typeId, urls.type(name, sync.id, typeId)], [title, urls.resource(name, sync.id, typeId, id)], "access"])}
<h1>Access of ${title}</h1>
<p class="muted"><code>${typeId}:${id}</code> holds <span data-testid="access-count">${grants.total}</span> grants.</p>
${grantsTable(name, sync, grants.items, entitlementName, "resource")}
${pager(grants.next, (next) => urls.principal(name, sync.id, typeId, id, { after: next }), after ? urls.principal(name, sync.id, typeId, id) : null)}`;
}

const SECTION_TITLES: Record<DiffSection, string> = {
  resources: "Resources",
  entitlements: "Entitlements",
  grants: "Grants",
};
const MARK = { created: "+", deleted: "−", modified: "~" } as const;

function changeLabel(change: Change): string {
  if (change.section === "grants") {
    const grant = change.object as Grant;
    return `${grant.entitlement?.id ?? ""} → ${resourceKey(grant.principal?.id)}`;
  }
  const named = change.object as Resource | Entitlement;
  const previous = change.previous as Resource | Entitlement | undefined;
  if (previous && previous.displayName !== named.displayName) return `${previous.displayName} → ${named.displayName}`;
  return named.displayName;
}

export function diffPageView(
  name: string,
  readable: ReviewSync[],
  pair: { from: string; to: string },
  counts: DiffCounts,
  changes: Change[],
  next: DiffCursor | null,
  paged: boolean,
): Html {
  return html`${crumbs([["Connectors", urls.home()], [name, urls.syncs(name)], "diff"])}
<h1>Diff of ${name}: ${pair.from} → ${pair.to}</h1>
<form class="inline" data-nav action="${urls.diff(name)}">From
<select name="from" aria-label="older sync">${readable.map((s) => html`<option value="${s.id}"${s.id === pair.from ? raw(" selected") : ""}>${s.id}</option>`)}</select>
to <select name="to" aria-label="newer sync">${readable.map((s) => html`<option value="${s.id}"${s.id === pair.to ? raw(" selected") : ""}>${s.id}</option>`)}</select>
<button type="submit">Diff</button></form>
<table data-testid="diff-counts"><thead><tr><th>Object</th><th class="num">Created</th><th class="num">Deleted</th><th class="num">Modified</th></tr></thead><tbody>
${DIFF_SECTIONS.map(
  (section) =>
    html`<tr data-section="${section}"><td>${SECTION_TITLES[section]}</td>${CHANGE_KINDS.map(
      (kind) =>
        html`<td class="num ${counts[section][kind] > 0 ? kind : ""}" data-kind="${kind}">${number(counts[section][kind])}</td>`,
    )}</tr>`,
)}
</tbody></table>
${changes.length === 0 && !paged ? html`<p class="muted">No differences.</p>` : ""}
${DIFF_SECTIONS.map((section) => {
  const rows = changes.filter((change) => change.section === section);
  if (rows.length === 0) return "";
  return html`<h2>${SECTION_TITLES[section]}</h2>
<table data-testid="diff-${section}"><thead><tr><th></th><th>Id</th><th>What</th></tr></thead><tbody>
${rows.map((change) => html`<tr class="${change.kind}"><td>${MARK[change.kind]}</td><td><code>${change.externalId}</code></td><td>${changeLabel(change)}</td></tr>`)}
</tbody></table>`;
})}
${pager(next ? encodeCursor(next) : null, (token) => urls.diff(name, { from: pair.from, to: pair.to, page: token }), paged ? urls.diff(name, { from: pair.from, to: pair.to }) : null)}`;
}
