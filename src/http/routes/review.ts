/** The access reviewer's reads: the diff between two syncs, and a sync's export for upload (XLSX, CSV). */
import * as v from "valibot";
import { bucketed, decodeCursor, diffCounts, diffPage, encodeCursor } from "../../review/diff.ts";
import { exportResponse } from "../../review/download.ts";
import { defaultPair, type HeldSync, ReviewError, type ReviewSource } from "../../review/source.ts";
import { XLSX_CONTENT_TYPE } from "../../review/xlsx.ts";
import { badRequest, conflict, HttpProblem, notFound } from "../problem.ts";
import { type AnyRoute, route } from "../route.ts";
import { ConnectorParams, SyncIdParam, SyncParams } from "../schemas.ts";

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

const Json = v.unknown();
const Bucket = v.object({
  created: v.optional(v.array(Json)),
  deleted: v.optional(v.array(Json)),
  modified: v.optional(v.array(Json)),
});
const Counts = v.object({ created: v.number(), deleted: v.number(), modified: v.number() });
const SyncRef = v.object({ id: v.string(), syncId: v.string() });

export const DiffQuery = v.object({
  from: v.optional(SyncIdParam),
  to: v.optional(SyncIdParam),
  pageToken: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,8192}$/, "not a page token from this API"))),
  pageSize: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[0-9]{1,4}$/, "pageSize is a whole number"),
      v.transform(Number),
      v.minValue(1),
      v.maxValue(MAX_PAGE_SIZE),
    ),
  ),
});

export const DiffPageSchema = v.object({
  from: SyncRef,
  to: SyncRef,
  /** On the first page only: counting is a pass over both syncs. */
  counts: v.optional(v.object({ resources: Counts, entitlements: Counts, grants: Counts })),
  resources: Bucket,
  entitlements: Bucket,
  grants: Bucket,
  nextPageToken: v.string(),
});

/** ReviewError → the API's problems. */
export function reviewProblem(error: unknown): unknown {
  if (!(error instanceof ReviewError)) return error;
  switch (error.kind) {
    case "not-found":
      return notFound(error.message);
    case "gone":
      return new HttpProblem(410, "c1z-pruned", "Gone", error.message);
    case "bad-request":
      return badRequest(error.message);
    default:
      return conflict("sync-not-readable", error.message);
  }
}

async function held(source: ReviewSource, name: string, id: string): Promise<HeldSync> {
  try {
    return await source.hold(name, id);
  } catch (error) {
    throw reviewProblem(error);
  }
}

/** One sync's export as a download: what the API's export routes and the explorer's links answer. */
export async function exportDownload(
  source: ReviewSource,
  name: string,
  id: string,
  format: "xlsx" | "csv",
): Promise<Response> {
  return exportResponse(await held(source, name, id), format, `${name}-${id}.${format}`);
}

export function reviewRoutes(source: ReviewSource): AnyRoute[] {
  const exportRoute = (format: "xlsx" | "csv") =>
    route({
      method: "get",
      path: `/v1/connectors/{name}/syncs/{id}/export.${format}`,
      operationId: format === "xlsx" ? "exportXlsx" : "exportCsv",
      summary: `The sync as Baton's "Export ${format.toUpperCase()} for upload" (baton export ${format}).`,
      description:
        "Twelve columns (Type, Last Name, First Name, User ID, User Status, Email Address, Entitlement Display Name, " +
        "Entitlement, Resource Type, Resource Name, Entitlement Description, Entitlement Slug); Identity, Entitlement " +
        "and Grant rows. Streamed. Cells that start like a formula are neutralised.",
      tag: "review",
      scope: "sync:read",
      params: SyncParams,
      responses: {
        200: {
          description: `The ${format.toUpperCase()} file (Content-Disposition: attachment)`,
          contentType: format === "xlsx" ? XLSX_CONTENT_TYPE : "text/csv",
        },
        404: { description: "No such sync" },
        409: { description: "The sync has not succeeded" },
        410: { description: "The file is no longer retained" },
      },
      handler: async (_c, { params }) => exportDownload(source, params.name, params.id, format),
    });

  return [
    route({
      method: "get",
      path: "/v1/connectors/{name}/diff",
      operationId: "diffSyncs",
      summary: "What changed between two succeeded syncs, as Baton's C1ZDiffOutput buckets, paged.",
      description:
        "Defaults: `to` is the latest succeeded sync with a retained c1z and `from` the one before it. " +
        "Each page lists up to pageSize changed objects (resources, then entitlements, then grants, each by id) in " +
        "created / deleted / modified buckets; the first page also carries the counts of every bucket.",
      tag: "review",
      scope: "sync:read",
      params: ConnectorParams,
      query: DiffQuery,
      responses: {
        200: { description: "A page of the diff", schema: DiffPageSchema },
        409: { description: "Fewer than two succeeded syncs, or one of them has not succeeded" },
        410: { description: "A c1z is no longer retained" },
      },
      handler: async (_c, { params, query }) => {
        const cursor = query.pageToken === undefined ? undefined : decodeCursor(query.pageToken);
        if (query.pageToken !== undefined && !cursor) throw badRequest("pageToken is not a token from this API");
        let pair: { from: string; to: string };
        try {
          pair = await defaultPair(source, params.name, { from: query.from, to: query.to });
        } catch (error) {
          throw reviewProblem(error);
        }
        const from = await held(source, params.name, pair.from);
        try {
          const to = await held(source, params.name, pair.to);
          try {
            const a = { store: from.store, syncId: from.syncId };
            const b = { store: to.store, syncId: to.syncId };
            const page = diffPage(a, b, cursor, query.pageSize ?? DEFAULT_PAGE_SIZE);
            return {
              status: 200,
              body: {
                from: { id: pair.from, syncId: from.syncId },
                to: { id: pair.to, syncId: to.syncId },
                ...(cursor ? {} : { counts: diffCounts(a, b) }),
                ...bucketed(page.changes),
                nextPageToken: page.next ? encodeCursor(page.next) : "",
              },
            };
          } finally {
            to.release();
          }
        } finally {
          from.release();
        }
      },
    }),
    exportRoute("xlsx"),
    exportRoute("csv"),
  ];
}
