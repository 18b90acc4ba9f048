/**
 * Module hooks for TypeScript plugins loaded by the prebuilt CLI: their SDK import (by
 * package name or by a relative path to src/plugins/sdk.ts) gets the build's SDK, so the
 * plugin and the CLI share one copy of each module (`instanceof TransientError` holds).
 */
let sdkSource = "";
let sdkPrebuilt = "";

export function initialize(data) {
  sdkSource = data.sdkSource;
  sdkPrebuilt = data.sdkPrebuilt;
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (resolved.url === sdkSource) return { url: sdkPrebuilt, format: "module", shortCircuit: true };
  return resolved;
}
