/**
 * A small c1z whose names are built to break renderers and spreadsheets: quotes,
 * markup, unicode (astral, right-to-left override), separators, line breaks and
 * cells that start like a formula. Two finished full syncs; the second adds,
 * drops and renames objects, so a diff has every bucket.
 */
import { createC1z, type SqliteC1zStore } from "../../src/c1z/index.ts";
import { entitlement, grant, group, resourceType, user } from "../../src/model/builders.ts";

export const HOSTILE = {
  quoted: `"Quoted" O'Brien`,
  script: "<script>window.__pwned=1</script>",
  img: `<img src=x onerror="window.__pwned=2">`,
  unicode: "Zoë 😀 中文 \u202eevil",
  hyperlink: '=HYPERLINK("http://evil.example","click")',
  plus: "+1+1",
  minus: "-2+3",
  at: "@SUM(A1:A2)",
  separators: 'comma, "and" newline\nsecond line',
  entities: "&amp; & <b>bold</b>",
} as const;

export const HOSTILE_VALUES: readonly string[] = Object.values(HOSTILE);

function users() {
  return [
    user({
      id: "u-1",
      displayName: HOSTILE.script,
      emails: [{ address: "u1@example.com", primary: true }],
      profile: { first_name: HOSTILE.quoted, last_name: HOSTILE.hyperlink, user_id: HOSTILE.plus },
    }),
    user({
      id: "u-2",
      displayName: HOSTILE.unicode,
      emails: [{ address: "other@example.com" }, { address: HOSTILE.at, primary: true }],
      status: "disabled",
      profile: { first_name: HOSTILE.minus, last_name: HOSTILE.separators, user_id: "u-2" },
    }),
    user({ id: "u-3", displayName: HOSTILE.img, profile: { first_name: HOSTILE.entities } }),
  ];
}

export async function hostileStore(): Promise<SqliteC1zStore> {
  const store = await createC1z({ engine: "sqljs" });
  const types = [
    resourceType({ displayName: "User", traits: ["user"] }),
    resourceType({ id: "group", displayName: HOSTILE.quoted, traits: ["group"] }),
  ];
  const [u1, u2, u3] = users();
  const admins = group({ id: "g-admins", displayName: HOSTILE.script, description: HOSTILE.hyperlink });
  const weird = group({ id: HOSTILE.unicode, displayName: HOSTILE.separators });
  const member = entitlement(admins, "member", { displayName: HOSTILE.img, description: "=cmd|' /C calc'!A0" });
  const weirdMember = entitlement(weird, "member", { displayName: HOSTILE.entities });

  store.startSync("full");
  store.putResourceTypes(types);
  store.putResources([u1, u2, u3, admins, weird]);
  store.putEntitlements([member, weirdMember]);
  store.putGrants([
    grant(admins, member, u1.id!),
    grant(admins, member, u2.id!),
    grant(weird, weirdMember, u3.id!),
    grant(weird, weirdMember, admins.id!),
  ]);
  store.markSupportsDiff();
  store.endSync();

  const renamed = { ...u2, displayName: `${HOSTILE.unicode} (renamed)` };
  store.startSync("full");
  store.putResourceTypes(types);
  store.putResources([u1, renamed, admins, weird]);
  store.putEntitlements([member, weirdMember]);
  store.putGrants([
    grant(admins, member, u1.id!),
    grant(weird, weirdMember, u1.id!),
    grant(weird, weirdMember, admins.id!),
  ]);
  store.markSupportsDiff();
  store.endSync();
  return store;
}
