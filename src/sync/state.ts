/**
 * The checkpointed state machine: Go's action stack (pkg/sync/state.go) with
 * its JSON token. We write Go's V1 shape (`actions_map`, `action_order`,
 * `current_action_id`, `version: 1`) and read V1 and the older V0 shape
 * (`actions`, `current_action`). The token never holds O(data) structures:
 * the expansion graph is rebuilt from the store on resume, as Go does now.
 * Two fields are ours: `expanded_destinations`, how far our grant expansion got (the
 * expansion action's page token in memory), and `finishing`, set with the empty stack once
 * every action is done and the store's own end work has begun (C1zWriter.finishStep). Go
 * ignores both: it expands from the start (the same grants) and restarts an empty stack from
 * init (the store keeps every index a restart needs).
 */

export const ACTION_OPS = [
  "init",
  "list-resource-types",
  "list-resources",
  "list-entitlements",
  "list-resources-for-entitlements",
  "list-grants",
  "list-external-resources",
  "fetch-assets",
  "grant-expansion",
  "targeted-resource-sync",
  "list-static-entitlements",
] as const;
export type ActionOp = (typeof ACTION_OPS)[number];

export interface Action {
  id: string;
  op: ActionOp;
  pageToken: string;
  resourceTypeId: string;
  resourceId: string;
  parentResourceTypeId: string;
  parentResourceId: string;
}

export type NewAction = Partial<Omit<Action, "id" | "op">> & { op: ActionOp };

/** Go's JSON for one action; all fields omitempty. */
interface ActionJson {
  id?: string;
  operation?: string;
  page_token?: string;
  resource_type_id?: string;
  resource_id?: string;
  parent_resource_type_id?: string;
  parent_resource_id?: string;
  spawned?: boolean;
  type_scoped?: boolean;
  type_scoped_planned?: boolean;
}

interface TokenJson {
  actions_map?: Record<string, ActionJson>;
  action_order?: string[];
  current_action_id?: number;
  actions?: ActionJson[];
  current_action?: ActionJson;
  needs_expansion?: boolean;
  has_external_resource_grants?: boolean;
  should_fetch_related_resources?: boolean;
  should_skip_entitlements_and_grants?: boolean;
  should_skip_grants?: boolean;
  completed_actions_count?: number;
  version?: number;
  expanded_destinations?: number;
  finishing?: boolean;
  /** Go's older tokens carried the expansion graph itself (expand.EntitlementGraph). */
  entitlement_graph?: { loaded?: boolean; edges?: Record<string, unknown> };
}

export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TokenError";
  }
}

function actionId(counter: number): string {
  return String(counter).padStart(10, "0");
}

function isOp(value: unknown): value is ActionOp {
  return typeof value === "string" && (ACTION_OPS as readonly string[]).includes(value);
}

function actionFromJson(json: ActionJson, id: string): Action {
  if (!isOp(json.operation)) {
    throw new TokenError(`sync token: unknown action operation ${JSON.stringify(json.operation)}`);
  }
  if (json.spawned || json.type_scoped) {
    throw new TokenError(
      `sync token: action ${id} (${json.operation}) is a type-scoped or spawned cursor, which this engine does not support`,
    );
  }
  return {
    id,
    op: json.operation,
    pageToken: json.page_token ?? "",
    resourceTypeId: json.resource_type_id ?? "",
    resourceId: json.resource_id ?? "",
    parentResourceTypeId: json.parent_resource_type_id ?? "",
    parentResourceId: json.parent_resource_id ?? "",
  };
}

function actionToJson(action: Action): ActionJson {
  const json: ActionJson = { id: action.id, operation: action.op };
  if (action.pageToken) json.page_token = action.pageToken;
  if (action.resourceTypeId) json.resource_type_id = action.resourceTypeId;
  if (action.resourceId) json.resource_id = action.resourceId;
  if (action.parentResourceTypeId) json.parent_resource_type_id = action.parentResourceTypeId;
  if (action.parentResourceId) json.parent_resource_id = action.parentResourceId;
  return json;
}

export class SyncState {
  private readonly actions = new Map<string, Action>();
  /** Ascending ids; the last one is the top of the stack. */
  private order: string[] = [];
  private nextActionId = 0;
  needsExpansion = false;
  hasExternalResourceGrants = false;
  shouldFetchRelatedResources = false;
  shouldSkipEntitlementsAndGrants = false;
  shouldSkipGrants = false;
  completedActionsCount = 0;
  /** Every action is done and the store's end work (finishStep) has begun: a resume carries that on. */
  finishing = false;
  /**
   * The token is Go's, saved in the middle of its grant expansion (a graph loaded or a page
   * token): Go does not mark such a sync supports_diff when it carries on, since older code
   * may have written part of it; neither do we.
   */
  resumesGoExpansion = false;

  /** A fresh state: just `init`, as Go's Unmarshal of an empty token. */
  static fresh(): SyncState {
    const state = new SyncState();
    state.push({ op: "init" });
    return state;
  }

  /** Parses Go's V1 token, or the V0 shape when `version` is not 1 or 2. `""` means start from init. */
  static parse(token: string): SyncState {
    if (token.trim() === "") return SyncState.fresh();
    let json: TokenJson;
    try {
      json = JSON.parse(token) as TokenJson;
    } catch (error) {
      throw new TokenError(`sync token is not JSON: ${(error as Error).message}`);
    }
    if (typeof json !== "object" || json === null) throw new TokenError("sync token is not a JSON object");
    const state = new SyncState();
    if (json.version === 1 || json.version === 2) {
      const map = json.actions_map ?? {};
      for (const id of json.action_order ?? []) {
        const action = map[id];
        if (!action) throw new TokenError(`sync token: action_order names ${id}, which actions_map lacks`);
        state.actions.set(id, actionFromJson(action, id));
        state.order.push(id);
      }
      state.nextActionId = json.current_action_id ?? 0;
    } else {
      // V0: `actions` is the stack below `current_action`; ids are assigned in that order.
      const stack = [...(json.actions ?? []), ...(json.current_action ? [json.current_action] : [])];
      for (const action of stack) {
        const id = actionId(state.nextActionId++);
        state.actions.set(id, actionFromJson(action, id));
        state.order.push(id);
      }
    }
    state.order.sort();
    const highest = state.order.at(-1);
    if (highest !== undefined) state.nextActionId = Math.max(state.nextActionId, Number(highest) + 1);
    // A Go expansion page token indexes its inline graph, which we do not hold: restart the load (Go does too).
    // Ours is a count of destinations done.
    const expanded = json.expanded_destinations;
    if (expanded !== undefined && (!Number.isSafeInteger(expanded) || expanded < 0)) {
      throw new TokenError(`sync token: expanded_destinations is not a count: ${JSON.stringify(expanded)}`);
    }
    const graph = json.entitlement_graph;
    const goGraph = graph?.loaded === true || Object.keys(graph?.edges ?? {}).length > 0;
    for (const action of state.actions.values()) {
      if (action.op !== "grant-expansion") continue;
      if (expanded === undefined && (action.pageToken !== "" || goGraph)) state.resumesGoExpansion = true;
      action.pageToken = expanded ? String(expanded) : "";
    }
    state.needsExpansion = json.needs_expansion === true;
    state.hasExternalResourceGrants = json.has_external_resource_grants === true;
    state.shouldFetchRelatedResources = json.should_fetch_related_resources === true;
    state.shouldSkipEntitlementsAndGrants = json.should_skip_entitlements_and_grants === true;
    state.shouldSkipGrants = json.should_skip_grants === true;
    state.completedActionsCount = json.completed_actions_count ?? 0;
    state.finishing = json.finishing === true && state.order.length === 0;
    return state;
  }

  /** Go's V1 token. Omits empty fields as Go's `omitempty` does. */
  serialize(): string {
    const json: TokenJson = {};
    if (this.order.length > 0) {
      const actions = this.order.map((id) => this.get(id));
      json.actions_map = Object.fromEntries(
        actions.map((action) => [
          action.id,
          actionToJson(action.op === "grant-expansion" ? { ...action, pageToken: "" } : action),
        ]),
      );
      json.action_order = [...this.order];
      const expansion = actions.find((action) => action.op === "grant-expansion" && action.pageToken !== "");
      if (expansion) json.expanded_destinations = Number(expansion.pageToken);
    }
    if (this.nextActionId > 0) json.current_action_id = this.nextActionId;
    if (this.needsExpansion) json.needs_expansion = true;
    if (this.hasExternalResourceGrants) json.has_external_resource_grants = true;
    if (this.shouldFetchRelatedResources) json.should_fetch_related_resources = true;
    if (this.shouldSkipEntitlementsAndGrants) json.should_skip_entitlements_and_grants = true;
    if (this.shouldSkipGrants) json.should_skip_grants = true;
    if (this.finishing && this.order.length === 0) json.finishing = true;
    if (this.completedActionsCount > 0) json.completed_actions_count = this.completedActionsCount;
    json.version = 1;
    return JSON.stringify(json);
  }

  get size(): number {
    return this.order.length;
  }

  push(action: NewAction): Action {
    const id = actionId(this.nextActionId++);
    const full: Action = {
      id,
      op: action.op,
      pageToken: action.pageToken ?? "",
      resourceTypeId: action.resourceTypeId ?? "",
      resourceId: action.resourceId ?? "",
      parentResourceTypeId: action.parentResourceTypeId ?? "",
      parentResourceId: action.parentResourceId ?? "",
    };
    this.actions.set(id, full);
    this.order.push(id);
    return full;
  }

  current(): Action | undefined {
    const id = this.order.at(-1);
    return id === undefined ? undefined : this.get(id);
  }

  /** Up to `max` consecutive actions with this op from the top of the stack, top first. */
  peekMatching(op: ActionOp, max: number): Action[] {
    const found: Action[] = [];
    for (let i = this.order.length - 1; i >= 0 && found.length < max; i--) {
      const action = this.get(this.order[i] as string);
      if (action.op !== op) break;
      found.push(action);
    }
    return found;
  }

  find(id: string): Action | undefined {
    return this.actions.get(id);
  }

  has(id: string): boolean {
    return this.actions.has(id);
  }

  setPageToken(id: string, pageToken: string): void {
    this.get(id).pageToken = pageToken;
  }

  finish(id: string): void {
    if (!this.actions.delete(id)) throw new Error(`sync state: action ${id} does not exist`);
    this.order = this.order.filter((other) => other !== id);
    this.completedActionsCount++;
  }

  /** Empties the stack (the final checkpoint). */
  clear(): void {
    this.actions.clear();
    this.order = [];
  }

  private get(id: string): Action {
    const action = this.actions.get(id);
    if (!action) throw new Error(`sync state: action ${id} does not exist`);
    return action;
  }
}
