/**
 * The import rules `npm test` checks (`npm run check:imports`, in scripts/test.sh): no module
 * cycles, no folder of src/ importing a folder that imports it back, and
 * plugins reach baton-edge only through its public SDK.
 */
module.exports = {
  forbidden: [
    {
      name: "no-module-cycles",
      comment: "A module imports a module that (through others) imports it back.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-folder-cycles",
      comment: "A folder of src/ imports a folder that (through others) imports it back.",
      severity: "error",
      scope: "folder",
      from: { path: "^src/[^/]+" },
      to: { circular: true },
    },
    {
      name: "plugins-use-the-sdk",
      comment: "Plugins import baton-edge only as its public SDK (src/plugins/sdk.ts, `baton-edge/plugin`).",
      severity: "error",
      from: { path: "^plugins/" },
      to: { path: "^src/", pathNot: "^src/plugins/sdk\\.ts$" },
    },
  ],
  options: {
    includeOnly: "^(src|plugins)/",
    exclude: { path: ["\\.test\\.ts$", "^src/proto/gen/"] },
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { conditionNames: ["import", "node", "default"], extensions: [".ts", ".js"] },
  },
};
