/**
 * One sync run's shared state: options, the action stack, counters, the plugin
 * call with retries, checkpoints and progress. The engine (engine.ts) drives it;
 * the phases (phases.ts) read and write it.
 */
import type { C1zWriter, SyncType } from "../c1z/store.ts";
import { silentLogger } from "../log/logger.ts";
import type { ResourceType } from "../model/types.ts";
import type { AnyPlugin, Logger, PluginContext, ResourceTypeDefinition } from "../plugins/contract.ts";
import { systemClock } from "../upstream/clock.ts";
import { retryingFetch } from "../upstream/fetch.ts";
import { withRetry } from "../upstream/retry.ts";
import { describeContext, type SyncErrorContext } from "./errors.ts";
import type { GrantExpansion } from "./expand.ts";
import type { Action, ActionOp, SyncState } from "./state.ts";
import type { Clock, ObjectCounts, ProgressEvent, SyncOptions, SyncPhase } from "./types.ts";

/** Go's `minCheckpointInterval`. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 10_000;
/** Go: warnings fail the sync past 10 and past 10 % of completed actions. */
const WARNING_FLOOR = 10;
const WARNING_RATIO = 0.1;

/** Everything one run shares: options, state, counters. Phases read and write it. */
export class SyncRun {
  readonly plugin: AnyPlugin;
  readonly client: unknown;
  readonly store: C1zWriter;
  readonly clock: Clock;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly options: SyncOptions;
  readonly syncType: SyncType;
  readonly syncId: string;
  readonly state: SyncState;
  readonly resumed: boolean;
  readonly fetch: typeof fetch;
  readonly written: ObjectCounts = { resourceTypes: 0, resources: 0, entitlements: 0, grants: 0 };
  readonly warnings: string[] = [];
  readonly startedAt: number;
  /** (child type, parent) pairs already scheduled by this process (Go's childSchedule). */
  readonly scheduledChildren = new Set<string>();
  private readonly definitions = new Map<string, ResourceTypeDefinition>();
  private syncedTypes = new Map<string, boolean>();
  private typeCache = new Map<string, ResourceType | undefined>();
  expandedGrants = 0;
  /** The grant expansion under way in this process, between its slices. */
  expansion: GrantExpansion | undefined;
  invalidDropped = 0;
  pages = 0;
  retries = 0;
  private lastCheckpoint = Number.NEGATIVE_INFINITY;
  private phase: SyncPhase | undefined;
  private phaseEstimate: { done: number; total: number } | undefined;

  constructor(options: SyncOptions, syncType: SyncType, syncId: string, state: SyncState, resumed: boolean) {
    this.options = options;
    this.plugin = options.plugin;
    this.client = options.client;
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLogger;
    this.signal = options.signal ?? new AbortController().signal;
    this.syncType = syncType;
    this.syncId = syncId;
    this.state = state;
    this.resumed = resumed;
    this.startedAt = this.clock.now();
    this.fetch = options.fetch ?? retryingFetch({ now: () => this.clock.now() });
    for (const definition of this.plugin.resourceTypes) this.definitions.set(definition.resourceType.id, definition);
  }

  definition(resourceTypeId: string): ResourceTypeDefinition | undefined {
    return this.definitions.get(resourceTypeId);
  }

  /** Was this resource type written in this sync? (Go's scheduledResourceTypeExists; cached.) */
  synced(resourceTypeId: string): boolean {
    let known = this.syncedTypes.get(resourceTypeId);
    if (known === undefined) {
      known = this.store.getResourceType(resourceTypeId, this.syncId) !== undefined;
      this.syncedTypes.set(resourceTypeId, known);
    }
    return known;
  }

  forgetSyncedTypes(): void {
    this.syncedTypes = new Map();
    this.typeCache = new Map();
  }

  /** The stored resource type (the plugin's declaration before it is stored); cached per run. */
  resourceType(resourceTypeId: string): ResourceType | undefined {
    if (!this.typeCache.has(resourceTypeId)) {
      this.typeCache.set(
        resourceTypeId,
        this.store.getResourceType(resourceTypeId, this.syncId) ?? this.definition(resourceTypeId)?.resourceType,
      );
    }
    return this.typeCache.get(resourceTypeId);
  }

  pluginContext(): PluginContext<unknown> {
    return { client: this.client, fetch: this.fetch, log: this.log, signal: this.signal };
  }

  errorContext(action: Pick<Action, "op" | "resourceTypeId" | "resourceId">): SyncErrorContext {
    return {
      plugin: this.plugin.name,
      phase: action.op,
      resourceTypeId: action.resourceTypeId || undefined,
      resourceId: action.resourceId || undefined,
    };
  }

  /** Calls the plugin, retrying transient failures with Go's backoff and rate-limit waits. */
  callPlugin<T>(action: Pick<Action, "op" | "resourceTypeId" | "resourceId">, call: () => Promise<T>): Promise<T> {
    return withRetry(
      call,
      this.clock,
      {
        onRetry: (attempt, waitMs, error) => {
          this.retries++;
          this.log.warn("retrying plugin call", {
            attempt,
            waitMs,
            error: error.message,
            ...this.errorContext(action),
          });
          this.emit({
            type: "retry",
            phase: this.phase ?? "init",
            attempt,
            waitMs,
            reason: error.message,
            at: this.clock.now(),
          });
        },
      },
      this.signal,
    );
  }

  /** Not-found warnings only: Go aborts on these, not on dropped invalid data. */
  notFoundWarnings = 0;

  warn(message: string): void {
    this.warnings.push(message);
    this.log.warn(message);
    this.emit({ type: "warning", phase: this.phase ?? "init", message, at: this.clock.now() });
  }

  countWritten(kind: keyof ObjectCounts, count: number): void {
    this.written[kind] += count;
  }

  dropInvalid(kind: string, action: Action, count: number): void {
    if (count === 0) return;
    this.invalidDropped += count;
    this.warn(`dropped ${count} invalid ${kind} (${describe(this, action)})`);
  }

  setEstimate(done: number, total: number): void {
    this.phaseEstimate = total > 0 ? { done, total } : undefined;
  }

  /** Per-resource phases: the total is the resources in the sync; skipped ones count as done. */
  startEstimate(total: number): void {
    this.setEstimate(0, total);
  }

  advanceEstimate(count: number): void {
    if (this.phaseEstimate) this.phaseEstimate.done += count;
  }

  emit(event: ProgressEvent): void {
    this.options.onProgress?.(event);
  }

  /** Returns whether this starts a new phase. */
  enterPhase(op: ActionOp): boolean {
    const phase = phaseOf(op);
    if (phase === this.phase) return false;
    this.phase = phase;
    this.phaseEstimate = undefined;
    this.emit({ type: "phase", phase, at: this.clock.now() });
    return true;
  }

  pageDone(): void {
    this.pages++;
    const elapsedSeconds = Math.max(0.001, (this.clock.now() - this.startedAt) / 1000);
    const total = this.written.resourceTypes + this.written.resources + this.written.entitlements + this.written.grants;
    const event: ProgressEvent = {
      type: "progress",
      phase: this.phase ?? "init",
      written: { ...this.written },
      pages: this.pages,
      retries: this.retries,
      rate: total / elapsedSeconds,
      at: this.clock.now(),
    };
    if (this.phaseEstimate) event.estimate = Math.min(1, this.phaseEstimate.done / this.phaseEstimate.total);
    this.emit(event);
  }

  async checkpoint(force: boolean): Promise<void> {
    const now = this.clock.now();
    const interval = this.options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    if (!force && now - this.lastCheckpoint < interval) return;
    this.lastCheckpoint = now;
    const token = this.state.serialize();
    this.store.setSyncToken(token);
    this.emit({ type: "checkpoint", phase: this.phase ?? "init", at: now });
    await this.options.onCheckpoint?.(token);
  }

  tooManyWarnings(): boolean {
    const count = this.notFoundWarnings;
    if (this.options.maxWarnings !== undefined && count > this.options.maxWarnings) return true;
    const completed = this.state.completedActionsCount;
    return count > WARNING_FLOOR && (completed === 0 || count / completed > WARNING_RATIO);
  }
}

function phaseOf(op: ActionOp): SyncPhase {
  switch (op) {
    case "list-resource-types":
    case "list-resources":
    case "list-static-entitlements":
    case "list-entitlements":
    case "list-grants":
    case "grant-expansion":
    case "targeted-resource-sync":
    case "init":
      return op;
    default:
      return "init";
  }
}

/** Names the plugin, phase and object an action is about, for warnings. */
export function describe(run: SyncRun, action: Pick<Action, "op" | "resourceTypeId" | "resourceId">): string {
  return describeContext(run.errorContext(action));
}
