// Modules only wrangler's bundler provides: wasm as precompiled modules, and sql.js's browser build.
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}

declare module "sql.js/dist/sql-wasm-browser.js" {
  import initSqlJs from "sql.js";
  export default initSqlJs;
}

// The Workers runtime's own module (the Durable Object base class); src/workers/durable-object.workerd.ts only.
declare module "cloudflare:workers" {
  export class DurableObject<Env = unknown> {
    constructor(ctx: unknown, env: Env);
    protected readonly ctx: unknown;
    protected readonly env: Env;
  }
}
