/**
 * The explorer on a Hono app: `/ui` and every `/ui/…` page answer with the
 * shell (no data); the shell's script fetches `/ui/f/…` fragments, which pass
 * `authorize` first (the API's bearer auth and `sync:read`, or nothing for the
 * loopback `explorer` command), and `/ui/assets/…` serves its script and style.
 */
import type { Context, Env, Hono } from "hono";
import { resourceId } from "../model/builders.ts";
import {
  entitlementsOf,
  grantCountsByEntitlement,
  grantsOfPrincipal,
  grantsOnResource,
  resourcesOfType,
} from "../review/browse.ts";
import { decodeCursor, diffCounts, diffPage } from "../review/diff.ts";
import {
  defaultPair,
  type OpenedSync,
  ReviewError,
  type ReviewSource,
  type ReviewSync,
  withSync,
} from "../review/source.ts";
import { APP_CSS, APP_JS } from "./assets.ts";
import {
  diffPageView,
  homePage,
  principalPage,
  resourcePage,
  resourcesPage,
  shellPage,
  syncsPage,
  typesPage,
} from "./pages.ts";

const PAGE_SIZE = 50;
const DIFF_PAGE_SIZE = 100;

/** Scripts only from us, no inline code, no framing: a name that slipped through escaping still could not run. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export interface ExplorerOptions {
  source: ReviewSource;
  /** Whether the shell asks for a token before fetching pages. */
  auth: boolean;
  /** Throws (an HTTP problem) when the request may not read syncs. */
  authorize(c: Context): Promise<void>;
  /** Sends a download of one sync's export (shared with the API's export routes). */
  exportResponse(connector: string, syncId: string, format: "xlsx" | "csv"): Promise<Response>;
  /** Turns a ReviewError into what the app's error handler answers with. */
  problem(error: unknown): unknown;
}

function page(c: Context, body: string | Promise<string>): Promise<Response> {
  return Promise.resolve(body).then((text) =>
    c.html(text, 200, { "content-security-policy": CSP, "cache-control": "no-store" }),
  );
}

export function mountExplorer<E extends Env>(app: Hono<E>, options: ExplorerOptions): void {
  const { source } = options;
  const sync = <T>(name: string, id: string, use: (opened: OpenedSync) => T | Promise<T>) =>
    withSync(source, name, id, use).catch((error: unknown) => {
      throw options.problem(error);
    });

  app.get("/ui/assets/app.js", (c) =>
    c.body(APP_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" }),
  );
  app.get("/ui/assets/app.css", (c) =>
    c.body(APP_CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "no-cache" }),
  );

  app.use("/ui/f", async (c, next) => {
    await options.authorize(c);
    await next();
  });
  app.use("/ui/f/*", async (c, next) => {
    await options.authorize(c);
    await next();
  });

  const home = (c: Context) => page(c, homePage(source.connectors()) as Promise<string>);
  app.get("/ui/f", home);
  app.get("/ui/f/", home);

  app.get("/ui/f/c/:name", async (c) => {
    const name = c.req.param("name");
    const syncs = await source.syncs(name).catch((error: unknown) => {
      throw options.problem(error);
    });
    return page(c, syncsPage(name, syncs) as Promise<string>);
  });

  app.get("/ui/f/c/:name/s/:sync", async (c) => {
    const name = c.req.param("name");
    return sync(name, c.req.param("sync"), ({ sync: run, store, syncId }) => {
      const types = [];
      let pageToken = "";
      do {
        const result = store.listResourceTypes({ syncId, pageToken });
        types.push(...result.items);
        pageToken = result.nextPageToken;
      } while (pageToken !== "");
      return page(c, typesPage(name, run, types, store.stats(syncId)) as Promise<string>);
    });
  });

  app.get("/ui/f/c/:name/s/:sync/t/:type", async (c) => {
    const name = c.req.param("name");
    const typeId = c.req.param("type");
    const q = c.req.query("q") ?? undefined;
    const after = c.req.query("after") ?? undefined;
    return sync(name, c.req.param("sync"), ({ sync: run, store, syncId }) => {
      const result = resourcesOfType(store, syncId, typeId, { query: q, after, limit: PAGE_SIZE });
      const type = store.getResourceType(typeId, syncId);
      return page(c, resourcesPage(name, run, type, typeId, result, { q, after }) as Promise<string>);
    });
  });

  app.get("/ui/f/c/:name/s/:sync/r/:type/:id", async (c) => {
    const name = c.req.param("name");
    const ref = { resourceType: c.req.param("type"), resource: c.req.param("id") };
    const after = c.req.query("after") ?? undefined;
    return sync(name, c.req.param("sync"), ({ sync: run, store, syncId }) => {
      const resource = store.getResource(resourceId(ref.resourceType, ref.resource), syncId);
      const entitlements = entitlementsOf(store, syncId, ref);
      const counts = grantCountsByEntitlement(store, syncId, ref);
      const grants = grantsOnResource(store, syncId, ref, { after, limit: PAGE_SIZE });
      for (const grant of grants.items) {
        const principal = grant.principal?.id ? store.getResource(grant.principal.id, syncId) : undefined;
        if (principal && grant.principal) grant.principal.displayName = principal.displayName;
      }
      return page(
        c,
        resourcePage(
          name,
          run,
          ref.resourceType,
          ref.resource,
          resource,
          entitlements,
          counts,
          grants,
          after,
        ) as Promise<string>,
      );
    });
  });

  app.get("/ui/f/c/:name/s/:sync/p/:type/:id", async (c) => {
    const name = c.req.param("name");
    const ref = { resourceType: c.req.param("type"), resource: c.req.param("id") };
    const after = c.req.query("after") ?? undefined;
    return sync(name, c.req.param("sync"), ({ sync: run, store, syncId }) => {
      const principal = store.getResource(resourceId(ref.resourceType, ref.resource), syncId);
      const grants = grantsOfPrincipal(store, syncId, ref, { after, limit: PAGE_SIZE });
      const names = new Map<string, string>();
      for (const grant of grants.items) {
        const id = grant.entitlement?.id ?? "";
        if (!names.has(id)) {
          const entitlement = store.getEntitlement(id, syncId);
          names.set(id, entitlement?.displayName || entitlement?.slug || id);
        }
        const owner = grant.entitlement?.resource?.id;
        if (owner && grant.entitlement?.resource) {
          grant.entitlement.resource.displayName = store.getResource(owner, syncId)?.displayName ?? "";
        }
      }
      return page(
        c,
        principalPage(
          name,
          run,
          ref.resourceType,
          ref.resource,
          principal,
          grants,
          (id) => names.get(id) ?? id,
          after,
        ) as Promise<string>,
      );
    });
  });

  app.get("/ui/f/c/:name/diff", async (c) => {
    const name = c.req.param("name");
    const token = c.req.query("page");
    const cursor = token ? decodeCursor(token) : undefined;
    if (token && !cursor)
      throw options.problem(new ReviewError("bad-request", "page is not a token from this explorer"));
    let pair: { from: string; to: string };
    let readable: ReviewSync[];
    try {
      readable = (await source.syncs(name)).filter((s) => s.readable);
      pair = await defaultPair(source, name, {
        from: c.req.query("from") || undefined,
        to: c.req.query("to") || undefined,
      });
    } catch (error) {
      throw options.problem(error);
    }
    return sync(name, pair.from, (from) =>
      sync(name, pair.to, (to) => {
        const a = { store: from.store, syncId: from.syncId };
        const b = { store: to.store, syncId: to.syncId };
        const counts = diffCounts(a, b);
        const result = diffPage(a, b, cursor, DIFF_PAGE_SIZE);
        return page(
          c,
          diffPageView(
            name,
            readable,
            pair,
            counts,
            result.changes,
            result.next,
            cursor !== undefined,
          ) as Promise<string>,
        );
      }),
    );
  });

  for (const format of ["xlsx", "csv"] as const) {
    app.get(`/ui/f/c/:name/s/:sync/export.${format}`, (c) =>
      options.exportResponse(c.req.param("name"), c.req.param("sync"), format),
    );
  }

  // Every other /ui URL is the shell: it carries no data, so it needs no token.
  const shell = (c: Context) =>
    c.html(shellPage({ auth: options.auth }), 200, { "content-security-policy": CSP, "cache-control": "no-store" });
  app.get("/ui", shell);
  app.get("/ui/*", shell);
}
