/**
 * The difference between two syncs (in one c1z or two), as Baton's `baton diff`
 * reports it: resources, entitlements and grants in created / deleted / modified
 * buckets, keyed by external id. Both sides are merged as sorted id streams a
 * page at a time, so memory stays flat however many grants the syncs hold.
 */
import { type DescMessage, fromBinary, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import type { SqliteC1zStore } from "../c1z/index.ts";
import {
  type Entitlement,
  EntitlementSchema,
  type Grant,
  GrantSchema,
  type Resource,
  ResourceSchema,
} from "../model/types.ts";
import { toProtoJson } from "../plugins/protojson.ts";
import { compareCodePoints, type RecordTable, type SortedRow, sortedRows } from "./sorted.ts";

export type DiffSection = "resources" | "entitlements" | "grants";
export type ChangeKind = "created" | "deleted" | "modified";
export const DIFF_SECTIONS: readonly DiffSection[] = ["resources", "entitlements", "grants"];
export const CHANGE_KINDS: readonly ChangeKind[] = ["created", "deleted", "modified"];
const ALL_KINDS: ReadonlySet<ChangeKind> = new Set(CHANGE_KINDS);

interface SectionTypes {
  resources: Resource;
  entitlements: Entitlement;
  grants: Grant;
}

const SECTIONS: { [S in DiffSection]: { table: RecordTable; schema: DescMessage } } = {
  resources: { table: "v1_resources", schema: ResourceSchema },
  entitlements: { table: "v1_entitlements", schema: EntitlementSchema },
  grants: { table: "v1_grants", schema: GrantSchema },
};

/** One side of a diff: a sync inside an opened c1z. */
export interface DiffSide {
  store: SqliteC1zStore;
  syncId: string;
}

export interface Change<S extends DiffSection = DiffSection> {
  section: S;
  kind: ChangeKind;
  externalId: string;
  /** As in the newer sync; for `deleted`, as it was in the older one. */
  object: SectionTypes[S];
  /** For `modified`: the object in the older sync. */
  previous?: SectionTypes[S];
}

export type BucketCounts = Record<ChangeKind, number>;
export type DiffCounts = Record<DiffSection, BucketCounts>;

function decode<S extends DiffSection>(section: S, data: Uint8Array): SectionTypes[S] {
  return fromBinary(SECTIONS[section].schema, data) as SectionTypes[S];
}

function sortKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, JsonValue>)[key])]),
    );
  }
  return value;
}

/**
 * Baton compares protojson with object keys sorted, so re-encodings of one message
 * (Go's random map order, unpacked Any values) are equal. Equal bytes skip that.
 */
function sameObject(schema: DescMessage, a: Uint8Array, b: Uint8Array): boolean {
  if (a.length === b.length && a.every((byte, i) => byte === b[i])) return true;
  const canonical = (data: Uint8Array) =>
    JSON.stringify(sortKeys(toProtoJson(schema, fromBinary(schema, data) as MessageShape<DescMessage>)));
  return canonical(a) === canonical(b);
}

interface RawChange {
  kind: ChangeKind;
  externalId: string;
  data: Uint8Array;
  previous?: Uint8Array;
}

/**
 * The merge itself, on undecoded rows; ids after `after` only (a page cursor).
 * Without `modified` in `kinds` no pair is compared at all.
 */
function* rawChanges(
  from: DiffSide,
  to: DiffSide,
  section: DiffSection,
  after: string,
  kinds: ReadonlySet<ChangeKind> = ALL_KINDS,
): Generator<RawChange> {
  const { table, schema } = SECTIONS[section];
  const older = sortedRows(from.store.db, table, from.syncId, after);
  const newer = sortedRows(to.store.db, table, to.syncId, after);
  let a: IteratorResult<SortedRow> = older.next();
  let b: IteratorResult<SortedRow> = newer.next();
  try {
    while (!a.done || !b.done) {
      const order = a.done ? 1 : b.done ? -1 : compareCodePoints(a.value.externalId, b.value.externalId);
      if (order < 0 && !a.done) {
        if (kinds.has("deleted")) yield { kind: "deleted", externalId: a.value.externalId, data: a.value.data };
        a = older.next();
      } else if (order > 0 && !b.done) {
        if (kinds.has("created")) yield { kind: "created", externalId: b.value.externalId, data: b.value.data };
        b = newer.next();
      } else if (!a.done && !b.done) {
        if (kinds.has("modified") && !sameObject(schema, a.value.data, b.value.data)) {
          yield { kind: "modified", externalId: b.value.externalId, data: b.value.data, previous: a.value.data };
        }
        a = older.next();
        b = newer.next();
      }
    }
  } finally {
    older.return(undefined);
    newer.return(undefined);
  }
}

/** The changes of one section in external-id order, starting after `after`; optionally of some kinds only. */
export function* diffChanges<S extends DiffSection>(
  from: DiffSide,
  to: DiffSide,
  section: S,
  options: { after?: string; kinds?: readonly ChangeKind[] } = {},
): Generator<Change<S>> {
  const kinds = options.kinds ? new Set(options.kinds) : ALL_KINDS;
  for (const raw of rawChanges(from, to, section, options.after ?? "", kinds)) {
    const change: Change<S> = {
      section,
      kind: raw.kind,
      externalId: raw.externalId,
      object: decode(section, raw.data),
    };
    if (raw.previous) change.previous = decode(section, raw.previous);
    yield change;
  }
}

export function emptyCounts(): DiffCounts {
  const bucket = (): BucketCounts => ({ created: 0, deleted: 0, modified: 0 });
  return { resources: bucket(), entitlements: bucket(), grants: bucket() };
}

/** How many objects each bucket holds (one pass per section, nothing decoded but mismatches). */
export function diffCounts(from: DiffSide, to: DiffSide): DiffCounts {
  const counts = emptyCounts();
  for (const section of DIFF_SECTIONS) {
    for (const change of rawChanges(from, to, section, "")) counts[section][change.kind]++;
  }
  return counts;
}

/** protojson of a change's object, as Baton's `C1ZDiffOutput` lists it. */
export function changeJson(change: Change): JsonValue {
  return toProtoJson(SECTIONS[change.section].schema, change.object as MessageShape<DescMessage>);
}

/**
 * Baton's `C1ZDiffOutput` as protojson text, written in pieces: each section's
 * created, deleted and modified lists in turn (one merge per list), empty lists
 * left out as protojson does.
 */
export function* diffJsonChunks(from: DiffSide, to: DiffSide): Generator<string> {
  yield "{";
  for (const [s, section] of DIFF_SECTIONS.entries()) {
    yield `${s > 0 ? "," : ""}${JSON.stringify(section)}:{`;
    let lists = 0;
    for (const kind of CHANGE_KINDS) {
      let items = 0;
      for (const change of diffChanges(from, to, section, { kinds: [kind] })) {
        yield `${items === 0 ? `${lists++ > 0 ? "," : ""}${JSON.stringify(kind)}:[` : ","}${JSON.stringify(changeJson(change))}`;
        items++;
      }
      if (items > 0) yield "]";
    }
    yield "}";
  }
  yield "}";
}

/** Where a page of a diff starts: a section and the last external id already shown. */
export interface DiffCursor {
  section: DiffSection;
  after: string;
}

/**
 * One page of changes in section order (resources, entitlements, grants), each
 * section in external-id order; `next` continues after the last one shown.
 */
export function diffPage(
  from: DiffSide,
  to: DiffSide,
  cursor: DiffCursor | undefined,
  pageSize: number,
  sections: readonly DiffSection[] = DIFF_SECTIONS,
): { changes: Change[]; next: DiffCursor | null } {
  const changes: Change[] = [];
  let start = cursor ? sections.indexOf(cursor.section) : 0;
  if (start < 0) start = 0;
  for (let s = start; s < sections.length; s++) {
    const section = sections[s];
    const after = cursor && s === start ? cursor.after : "";
    for (const change of diffChanges(from, to, section, { after })) {
      if (changes.length === pageSize) {
        const last = changes[changes.length - 1];
        return { changes, next: { section: last.section, after: last.externalId } };
      }
      changes.push(change);
    }
  }
  return { changes, next: null };
}

/** Changes grouped as Baton's C1ZDiffOutput groups them, objects as protojson. */
export function bucketed(changes: readonly Change[]): Record<DiffSection, Partial<Record<ChangeKind, JsonValue[]>>> {
  const out: Record<DiffSection, Partial<Record<ChangeKind, JsonValue[]>>> = {
    resources: {},
    entitlements: {},
    grants: {},
  };
  for (const change of changes) {
    const bucket = out[change.section];
    bucket[change.kind] ??= [];
    bucket[change.kind]?.push(changeJson(change));
  }
  return out;
}

export function encodeCursor(cursor: DiffCursor): string {
  const bytes = new TextEncoder().encode(JSON.stringify([cursor.section, cursor.after]));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Undefined when the token is not one `encodeCursor` made. */
export function decodeCursor(token: string): DiffCursor | undefined {
  try {
    const binary = atob(token.replaceAll("-", "+").replaceAll("_", "/"));
    const parsed = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))),
    ) as unknown;
    if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
    const [section, after] = parsed as unknown[];
    if (!DIFF_SECTIONS.includes(section as DiffSection) || typeof after !== "string") return undefined;
    return { section: section as DiffSection, after };
  } catch {
    return undefined;
  }
}
