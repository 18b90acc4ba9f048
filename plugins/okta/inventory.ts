/**
 * Resources without entitlements: devices (always, as baton-okta lists them) and, with
 * --sync-secrets, API tokens as secrets owned by their user.
 */
import type { ResourceTypeDefinition } from "../../src/plugins/sdk.ts";
import { resource, resourceId, secret } from "../../src/plugins/sdk.ts";
import { query } from "./client.ts";
import { type OktaConnection, types } from "./model.ts";

interface OktaDevice {
  id: string;
  profile?: { displayName?: string; platform?: string; model?: string; serialNumber?: string };
}

interface OktaApiToken {
  id: string;
  name: string;
  userId: string;
  created?: string;
  lastUpdated?: string;
  expiresAt?: string;
}

const date = (value: string | undefined) => (value ? new Date(value) : undefined);

export const devices: ResourceTypeDefinition<OktaConnection> = {
  resourceType: types.device,
  async list(parent, ctx) {
    if (parent) return { items: [] };
    // Okta caps the devices list at 200 per page.
    const page = await ctx.client.client.list<OktaDevice>(ctx.pageToken || `/api/v1/devices${query({ limit: 200 })}`);
    return {
      items: page.items.map((d) =>
        resource({
          type: types.device.id,
          id: d.id,
          displayName: d.profile?.displayName || d.id,
          description: [d.profile?.platform, d.profile?.model, d.profile?.serialNumber].filter(Boolean).join(" "),
        }),
      ),
      nextPageToken: page.next,
    };
  },
  entitlements: async () => ({ items: [] }),
  grants: async () => ({ items: [] }),
};

export const apiTokens: ResourceTypeDefinition<OktaConnection> = {
  resourceType: types.apiToken,
  async list(parent, ctx) {
    if (parent) return { items: [] };
    const page = await ctx.client.client.list<OktaApiToken>(ctx.pageToken || "/api/v1/api-tokens");
    return {
      items: page.items.map((t) =>
        secret({
          type: types.apiToken.id,
          id: t.id,
          displayName: t.name,
          createdAt: date(t.created),
          expiresAt: date(t.expiresAt),
          lastUsedAt: date(t.lastUpdated),
          createdBy: resourceId(types.user.id, t.userId),
          identity: resourceId(types.user.id, t.userId),
        }),
      ),
      nextPageToken: page.next,
    };
  },
  entitlements: async () => ({ items: [] }),
  grants: async () => ({ items: [] }),
};
