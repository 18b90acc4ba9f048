/**
 * Writes src/storage/paged-sqljs.gen.node.mjs and paged-sqljs.gen.browser.cjs: sql.js's debug
 * build with one added line, `Module.FS = FS` (and a heap-size getter), so
 * src/storage/paged-fs.ts can put a database file on a paged FS node. sql.js 1.17's release
 * builds are closure-minified and keep no FS object to expose; the debug build (same SQLite,
 * same wasm speed, unminified glue) does. Generated at install and by wrangler's build, never
 * committed. Run: node scripts/gen-sqljs-paged.mjs
 *
 * Four more changes (the last two: no per-call conversions for numeric SQLite calls and no
 * debug log of every wasm heap growth, see below):
 * - The debug glue wraps every wasm export in a closure that asserts the runtime is up and
 *   counts the arguments, on every call (each `step`, `bind`, column read). The wrappers are
 *   replaced by the exports themselves: 300k prepared inserts took 2.3–2.6 s against 1.5–1.6 s
 *   with the release build; the rest of the gap was MEMFS growing its file by copying.
 * - The Node flavor is an ES module (its `require` made with createRequire), so bundles of
 *   the CLI or of a benchmark carry the glue inside them instead of looking for a file beside
 *   themselves: esbuild turns a bundled CommonJS module's `require("node:fs")` into a shim that
 *   throws in ES module output.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = dirname(createRequire(import.meta.url).resolve("sql.js/dist/sql-wasm-debug.js"));
const anchor = "  Module['stackSave'] = stackSave;";

/** `from` must occur exactly once in `source`. */
function replaceOnce(source, file, from, to) {
  if (source.split(from).length !== 2) {
    throw new Error(`sql.js ${file}: "${from.slice(0, 60)}" moved; update scripts/gen-sqljs-paged.mjs`);
  }
  return source.replace(from, to);
}

// workerd (nodejs_compat) has a `process` with versions.node: the browser flavor's debug checks
// would take it for Node and refuse to run, so they look at no process there.
const notNode = [
  [`if (typeof process !== 'undefined' && !process.versions?.bun && typeof Deno === "undefined") {`, "if (false) {"],
  [
    "var ENVIRONMENT_IS_NODE = globalThis.process?.versions?.node && globalThis.process?.type != 'renderer';",
    "var ENVIRONMENT_IS_NODE = false;",
  ],
];

// `createExportWrapper('sqlite3_step', wasmExports['sqlite3_step'], 1)` → `wasmExports['sqlite3_step']`.
const exportWrapper = /createExportWrapper\('(\w+)', (wasmExports\['\1'\]), \d+\)/g;

const cwrapFrom = `  var cwrap = (ident, returnType, argTypes, opts) => {
      return (...args) => ccall(ident, returnType, argTypes, args, opts);
    };`;
const cwrapTo = `  var cwrap = (ident, returnType, argTypes, opts) => {
      // Patched by scripts/gen-sqljs-paged.mjs: numbers in, a number (or nothing) out → the export.
      var direct = !opts && returnType !== 'string' && returnType !== 'boolean' &&
        (argTypes || []).every((type) => type === 'number');
      if (direct && typeof Module['_' + ident] === 'function') return Module['_' + ident];
      return (...args) => ccall(ident, returnType, argTypes, args, opts);
    };`;

/** The CommonJS glue as an ES module: `require`, `__dirname`, `module` made by hand. */
function asEsModule(source) {
  return [
    'import { createRequire } from "node:module";',
    'import { dirname } from "node:path";',
    "const require = createRequire(import.meta.url);",
    // Where sql.js would look for its wasm (the loader passes the bytes anyway).
    'const __filename = require.resolve("sql.js/dist/sql-wasm-debug.js");',
    "const __dirname = dirname(__filename);",
    "var module = { exports: {} };",
    "var exports = module.exports;",
    source,
    "const initSqlJsExport = module.exports;",
    "export default initSqlJsExport;",
    "",
  ].join("\n");
}

for (const [flavor, file, out] of [
  ["node", "sql-wasm-debug.js", "paged-sqljs.gen.node.mjs"],
  ["browser", "sql-wasm-browser-debug.js", "paged-sqljs.gen.browser.cjs"],
]) {
  let source = readFileSync(join(dist, file), "utf8");
  if (!source.includes("  var FS = {"))
    throw new Error(`sql.js ${file}: no FS object; update scripts/gen-sqljs-paged.mjs`);
  if (flavor === "browser") for (const [from, to] of notNode) source = replaceOnce(source, file, from, to);
  const wrapped = source.match(exportWrapper)?.length ?? 0;
  if (wrapped < 20) throw new Error(`sql.js ${file}: ${wrapped} wrapped exports; update scripts/gen-sqljs-paged.mjs`);
  source = source.replace(exportWrapper, "$2");
  // sql.js reaches SQLite through cwrap'd functions, and the debug glue's ccall builds a table
  // of converters, two closures and two arrays on every call (each bind, step and column
  // read). A function whose arguments and result are all numbers is the wasm export itself.
  source = replaceOnce(source, file, cwrapFrom, cwrapTo);
  // The debug runtime logs each wasm heap growth with console.warn (not through printErr):
  // a sync of 1M grants on sql.js printed them all to the CLI's stderr.
  source = replaceOnce(source, file, "var runtimeDebug = true;", "var runtimeDebug = false;");
  const patched = replaceOnce(
    source,
    file,
    anchor,
    `  Module['FS'] = FS; // added by scripts/gen-sqljs-paged.mjs\n  Module['heapBytes'] = () => HEAP8.buffer.byteLength; // added too\n  Module['sqliteBytes'] = () => Number(_sqlite3_memory_used()); // and SQLite's own allocator\n${anchor}`,
  );
  const header = `// GENERATED by scripts/gen-sqljs-paged.mjs from sql.js/dist/${file} (MIT, github.com/sql-js/sql.js). Do not edit.\n`;
  writeFileSync(join(root, "src/storage", out), header + (flavor === "node" ? asEsModule(patched) : patched));
}
