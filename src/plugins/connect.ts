/**
 * Turns a plugin and its resolved config into the context every call receives.
 */
import { silentLogger } from "../log/logger.ts";
import { retryingFetch } from "../upstream/fetch.ts";
import type { AnyPlugin, ConnectContext, Logger, PluginContext, PluginStateStore } from "./contract.ts";

export interface ConnectOptions {
  log?: Logger;
  /**
   * Defaults to `retryingFetch()` over the global fetch, so a 429/5xx raises
   * `TransientError` with its rate-limit facts in one-shot provisioning too, not
   * only in syncs. Another fetch passed here is used as given (not wrapped again).
   */
  fetch?: typeof fetch;
  /** The default fetch's clock for rate-limit reset times; pass the clock the retry waits run on. */
  now?: () => number;
  signal?: AbortSignal;
  state?: PluginStateStore;
}

export interface ConnectedPlugin {
  plugin: AnyPlugin;
  client: unknown;
  ctx: PluginContext<unknown>;
  close(): Promise<void>;
}

export async function connectPlugin(
  plugin: AnyPlugin,
  config: Record<string, unknown>,
  options: ConnectOptions = {},
): Promise<ConnectedPlugin> {
  const connectCtx: ConnectContext = {
    fetch: options.fetch ?? retryingFetch({ now: options.now }),
    log: options.log ?? silentLogger,
    signal: options.signal ?? new AbortController().signal,
    state: options.state,
  };
  const client: unknown = await plugin.connect(config, connectCtx);
  let closed = false;
  return {
    plugin,
    client,
    ctx: { client, fetch: connectCtx.fetch, log: connectCtx.log, signal: connectCtx.signal },
    async close() {
      if (closed) return;
      closed = true;
      await plugin.close?.(client);
    },
  };
}

/** An in-memory state store, for tests and hosts without a filesystem. */
export function memoryStateStore(initial?: string): PluginStateStore & { text: string | undefined } {
  const store = {
    text: initial,
    async load() {
      return store.text;
    },
    async save(text: string) {
      store.text = text;
    },
  };
  return store;
}
