/** One plugin in the generated registry (written by scripts/gen-plugin-registry.ts). */
export interface GeneratedPluginEntry {
  name: string;
  /** Repository-relative path of the module. */
  source: string;
  plugin: unknown;
}
