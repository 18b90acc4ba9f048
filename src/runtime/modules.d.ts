// Modules only wrangler's bundler provides: wasm as precompiled modules, and sql.js's browser build.
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}

declare module "sql.js/dist/sql-wasm-browser.js" {
  import initSqlJs from "sql.js";
  export default initSqlJs;
}
