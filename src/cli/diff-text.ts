/** The default `baton-edge diff` printout: a count table, then each bucket's objects, one per line. */
import type { Entitlement, Grant, Resource } from "../model/types.ts";
import {
  CHANGE_KINDS,
  type Change,
  type ChangeKind,
  DIFF_SECTIONS,
  type DiffCounts,
  type DiffSection,
  type DiffSide,
  diffChanges,
} from "../review/diff.ts";
import { renderTable } from "./table.ts";

const SECTION_TITLES: Record<DiffSection, string> = {
  resources: "Resources",
  entitlements: "Entitlements",
  grants: "Grants",
};
const MARKS: Record<ChangeKind, string> = { created: "+", deleted: "-", modified: "~" };

export function countsTable(counts: DiffCounts): string {
  return renderTable(
    ["Object", "Created", "Deleted", "Modified"],
    DIFF_SECTIONS.map((section) => [
      SECTION_TITLES[section],
      ...CHANGE_KINDS.map((kind) => String(counts[section][kind])),
    ]),
  );
}

/** A line's words for one changed object: its id and what a reviewer recognises it by. */
export function describeChange(change: Change): [id: string, label: string] {
  if (change.section === "resources") {
    const resource = change.object as Resource;
    return [change.externalId, resource.displayName];
  }
  if (change.section === "entitlements") {
    const entitlement = change.object as Entitlement;
    return [change.externalId, entitlement.displayName || entitlement.slug];
  }
  const grant = change.object as Grant;
  const principal = grant.principal?.id ? `${grant.principal.id.resourceType}:${grant.principal.id.resource}` : "";
  return [change.externalId, `${grant.entitlement?.id ?? ""} → ${principal}`];
}

export function* diffTextChunks(from: DiffSide, to: DiffSide, counts: DiffCounts): Generator<string> {
  yield `Diff from sync ${from.syncId} to sync ${to.syncId}\n\n`;
  yield countsTable(counts);
  for (const section of DIFF_SECTIONS) {
    for (const kind of CHANGE_KINDS) {
      if (counts[section][kind] === 0) continue;
      yield `\n${SECTION_TITLES[section]} ${kind} (${counts[section][kind]})\n`;
      for (const change of diffChanges(from, to, section, { kinds: [kind] })) {
        const [id, label] = describeChange(change);
        yield `  ${MARKS[kind]} ${id}${label ? `  ${label}` : ""}\n`;
      }
    }
  }
}
