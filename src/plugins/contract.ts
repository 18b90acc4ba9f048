/**
 * The plugin contract: what a connector author writes with `definePlugin`.
 *
 * A plugin is an ES module whose default export is the value returned by
 * `definePlugin`. Everything optional maps onto an optional Baton interface,
 * and capabilities are derived from what is present (see capabilities.ts).
 */
import type * as v from "valibot";
import type { Logger } from "../log/types.ts";
import type { Any, Entitlement, Grant, Resource, ResourceId, ResourceType } from "../model/types.ts";

/** Metadata attached to a config field with `v.metadata(...)`. */
export interface ConfigFieldMetadata {
  /** Never logged, printed or returned. */
  secret?: boolean;
  /** Environment variable; defaults to `BATON_<FIELD_IN_SNAKE_UPPER>`. */
  env?: string;
  /** CLI flag; defaults to the field name in kebab-case. */
  flag?: string;
  /** Shown in `--help` and the config schema. */
  description?: string;
  /** Shown by UIs reading the `config` schema. */
  displayName?: string;
}

/** Cross-field rules, as Baton's field relationships. */
export type ConfigRelation =
  | { kind: "requiredTogether"; fields: string[] }
  | { kind: "mutuallyExclusive"; fields: string[] }
  | { kind: "atLeastOne"; fields: string[] };

export type { Logger };

/** What every plugin call receives. */
/**
 * Small persistent state a plugin may keep between runs (the demo's organisation changes).
 * The CLI stores it next to the c1z (`<file>.<plugin>-state.json`); other hosts may use KV or memory.
 */
export interface PluginStateStore {
  load(): Promise<string | undefined>;
  save(text: string): Promise<void>;
}

/** What `connect` receives besides the resolved config. */
export interface ConnectContext {
  fetch: typeof fetch;
  log: Logger;
  signal: AbortSignal;
  /** Absent when the host has nowhere to keep state. */
  state?: PluginStateStore;
}

export interface PluginContext<Client> {
  /** What `connect` returned: an API client, a pool, an in-memory organisation… */
  client: Client;
  /** A fetch that turns 429/408/5xx and network errors into `TransientError` with rate-limit facts. */
  fetch: typeof fetch;
  log: Logger;
  signal: AbortSignal;
}

/** What the sync engine passes to list calls. */
export interface SyncCallContext<Client> extends PluginContext<Client> {
  syncId: string;
  /** The opaque token this page starts from; `""` for the first page. At most 1 MiB. */
  pageToken: string;
}

/** One page of a listing. An empty or missing `nextPageToken` ends it. */
export interface Page<T> {
  items: T[];
  nextPageToken?: string;
  annotations?: Any[];
}

export interface GrantOutcome {
  /** The grants now held; may be empty. */
  grants?: Grant[];
  /** Set when the principal already held the entitlement (answered with GrantAlreadyExists). */
  alreadyExists?: boolean;
  annotations?: Any[];
}

export interface RevokeOutcome {
  /** Set when there was nothing to revoke (answered with GrantAlreadyRevoked). */
  alreadyRevoked?: boolean;
  annotations?: Any[];
}

export interface ResourceTypeDefinition<Client = unknown> {
  /** Built with `resourceType()`; its traits are validated against each listed resource. */
  resourceType: ResourceType;
  /** Called with no parent for every type, and with a parent for each `ChildResourceType` parent. */
  list(parent: ResourceId | undefined, ctx: SyncCallContext<Client>): Promise<Page<Resource>>;
  entitlements(resource: Resource, ctx: SyncCallContext<Client>): Promise<Page<Entitlement>>;
  grants(resource: Resource, ctx: SyncCallContext<Client>): Promise<Page<Grant>>;
  /** Templates written once per resource of this type (Baton's StaticEntitlementSyncer). */
  staticEntitlements?(ctx: SyncCallContext<Client>): Promise<Page<Entitlement>>;
  /** Targeted sync. Returns undefined when the resource does not exist. */
  get?(id: ResourceId, parent: ResourceId | undefined, ctx: PluginContext<Client>): Promise<Resource | undefined>;
  /** Dispatched by the entitlement's resource type, as Baton does. */
  grant?(principal: Resource, entitlement: Entitlement, ctx: PluginContext<Client>): Promise<GrantOutcome>;
  revoke?(grant: Grant, ctx: PluginContext<Client>): Promise<RevokeOutcome>;
}

export interface AccountInfo {
  login: string;
  emails?: { address: string; primary?: boolean }[];
  profile?: Record<string, unknown>;
  /** `--create-account-resource-type`; defaults to the plugin's `accountResourceType`. */
  resourceType?: string;
}

/** A credential returned once to the caller; never stored or logged. */
export interface PlaintextCredential {
  name: string;
  value: string;
}

export interface CreateAccountOutcome {
  /** The account, when the application returns one. */
  resource?: Resource;
  /** Baton's CreateAccountResponse result kinds; defaults to `success`. */
  result?: "success" | "alreadyExists" | "actionRequired" | "inProgress";
  credentials?: PlaintextCredential[];
  annotations?: Any[];
}

export interface RotateOutcome {
  credentials: PlaintextCredential[];
  annotations?: Any[];
}

export interface DeleteOutcome {
  /** Set when the resource was already gone (Baton's ResourceDoesNotExist). */
  alreadyDeleted?: boolean;
  annotations?: Any[];
}

/** A one-shot operation (Baton's global actions: `--invoke-action`, `POST …/actions/{action}`). */
export interface ActionDefinition<Client = unknown> {
  name: string;
  displayName?: string;
  description?: string;
  /**
   * A valibot object schema for the arguments: checked before `run`, published as JSON Schema by
   * `--list-action-schemas` and `GET …/actions`. Without it, any JSON object is passed through.
   */
  args?: v.GenericSchema<Record<string, unknown>, Record<string, unknown>>;
  /** Receives the validated arguments; returns a JSON object (Baton's response Struct). */
  run(args: Record<string, unknown>, ctx: PluginContext<Client>): Promise<Record<string, unknown>>;
}

export interface PluginMetadata {
  helpUrl?: string;
  profile?: Record<string, unknown>;
}

export interface PluginDefinition<
  ConfigSchema extends v.GenericSchema<Record<string, unknown>, Record<string, unknown>> = v.GenericSchema<
    Record<string, unknown>,
    Record<string, unknown>
  >,
  Client = unknown,
> {
  /** Lower-case, the CLI's first argument and the HTTP `{name}`. */
  name: string;
  displayName: string;
  description?: string;
  version?: string;
  /** A valibot object schema; field metadata via `v.metadata({ secret, env, ... })`. */
  config: ConfigSchema;
  configRelations?: ConfigRelation[];
  /** Builds the client every call receives. Called once per sync or operation. */
  connect(config: v.InferOutput<ConfigSchema>, ctx: ConnectContext): Promise<Client> | Client;
  /** Releases what `connect` opened. */
  close?(client: Client): Promise<void> | void;
  resourceTypes: ResourceTypeDefinition<Client>[];
  /**
   * The ids of `resourceTypes` this connection syncs, when its config decides (a Go connector's
   * ListResourceTypes may depend on config, e.g. baton-okta's custom roles only with
   * --sync-custom-roles). Undefined syncs them all; capabilities always describe them all.
   */
  syncedResourceTypes?(client: Client): string[] | undefined;
  validate?(ctx: PluginContext<Client>): Promise<void>;
  metadata?: PluginMetadata;
  createAccount?(account: AccountInfo, ctx: PluginContext<Client>): Promise<CreateAccountOutcome>;
  /** The resource type accounts are created as (Baton's account manager registration); defaults to `"user"`. */
  accountResourceType?: string;
  rotateCredentials?(id: ResourceId, ctx: PluginContext<Client>): Promise<RotateOutcome>;
  /** Resource types whose credentials `rotateCredentials` handles; defaults to `["user"]`. */
  rotateResourceTypes?: string[];
  deleteResource?(id: ResourceId, ctx: PluginContext<Client>): Promise<DeleteOutcome>;
  /** Resource types `deleteResource` handles; defaults to every resource type. */
  deleteResourceTypes?: string[];
  actions?: ActionDefinition<Client>[];
}

/**
 * Any plugin, with its config and client types erased (what the registry, sync engine, CLI and HTTP hold).
 * Every `definePlugin(...)` result is assignable to it because the client- and config-taking members are
 * declared with method syntax, whose parameters TypeScript compares bivariantly; hosts calling through it
 * see `Record<string, unknown>` config and an `unknown` client.
 */
export type AnyPlugin = PluginDefinition<v.GenericSchema<Record<string, unknown>, Record<string, unknown>>, unknown>;

/** A plugin that loaded, with where it came from. */
export interface LoadedPlugin {
  name: string;
  plugin: AnyPlugin;
  /** The module path or registry key it was loaded from. */
  source: string;
}

/** A plugin that failed to load; reported, never fatal to the others. */
export interface PluginLoadFailure {
  name: string;
  path: string;
  reason: string;
}

export interface PluginRegistry {
  plugins: LoadedPlugin[];
  failures: PluginLoadFailure[];
}
