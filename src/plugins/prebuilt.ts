/**
 * What bin/baton-edge.js hands the plugin loader when Node runs the prebuilt CLI
 * (scripts/build-node.mjs): the built-in plugins' prebuilt modules, and a way to load
 * TypeScript for plugins that were not prebuilt. Absent when running from the sources.
 */
export interface PrebuiltModules {
  /** Built-in plugin name → file URL of its prebuilt module. */
  plugins: Readonly<Record<string, string>>;
  /** Registers a TypeScript loader (tsx); once. */
  loadTypeScript(): Promise<void>;
}

const KEY = Symbol.for("baton-edge.prebuilt");

export function prebuiltModules(): PrebuiltModules | undefined {
  return (globalThis as Record<symbol, PrebuiltModules | undefined>)[KEY];
}
