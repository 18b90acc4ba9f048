/**
 * Plain predicates that accept a plugin page only where the valibot schemas of
 * validated.ts and validate-output.ts certainly accept it, so a well-formed page (every
 * page of a working plugin) is checked without valibot's per-field datasets and output
 * merging, and anything else still goes through valibot, which words every error. The
 * predicates may be stricter than the schemas (that only costs speed), never looser.
 *
 * What they mirror in valibot 1.x: `object` takes any non-null object and reads each key
 * with `in` (the prototype counts); `optional` lets `undefined` through; `array` is
 * `Array.isArray` and reads every index (holes are `undefined`); `intersect` merges the
 * outputs of its parts, which succeeds for objects only when both have
 * `constructor === Object`, hence `isPlain` on every object a schema nests in one.
 */
import type { GenericSchema } from "valibot";

export type Fields = Record<string, unknown>;

/** A valibot schema next to its fast path. */
export interface OutputShape {
  schema: GenericSchema;
  /** True only where `schema` accepts the value. */
  accepts: (value: unknown) => boolean;
}

export const isPlain = (value: unknown): value is Fields =>
  typeof value === "object" && value !== null && (value as Fields).constructor === Object;

export const isMessage = (value: unknown, typeName: string): value is Fields =>
  isPlain(value) && value.$typeName === typeName;

export const isString = (value: unknown): value is string => typeof value === "string";

export const isNonEmptyString = (value: unknown): value is string => typeof value === "string" && value.length > 0;

/** An array of `{ typeUrl, value: Uint8Array }` objects; `typeUrl` as `typeUrlOk` says. */
export function isAnyList(value: unknown, typeUrlOk: (typeUrl: unknown) => boolean): boolean {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) {
    const any = value[i];
    if (!isPlain(any) || !typeUrlOk(any.typeUrl) || !(any.value instanceof Uint8Array)) return false;
  }
  return true;
}

/** A page `{ items, nextPageToken?, annotations? }` whose items each pass `item`. */
export function isPage(
  value: unknown,
  item: (item: unknown) => boolean,
  tokenOk: (token: string) => boolean,
  annotationsOk: (annotations: unknown) => boolean,
): boolean {
  if (typeof value !== "object" || value === null) return false;
  const page = value as Fields;
  const items = page.items;
  if (!Array.isArray(items)) return false;
  for (let i = 0; i < items.length; i++) if (!item(items[i])) return false;
  const token = page.nextPageToken;
  if (token !== undefined && (typeof token !== "string" || !tokenOk(token))) return false;
  return page.annotations === undefined || annotationsOk(page.annotations);
}
