// The FS-exposing sql.js glue that scripts/gen-sqljs-paged.mjs writes (gitignored).
declare module "*/paged-sqljs.gen.browser.cjs" {
  import type { PagedSqlJsInit } from "./paged-sqljs-types.ts";

  const init: PagedSqlJsInit;
  export default init;
}

declare module "*/paged-sqljs.gen.node.mjs" {
  import type { PagedSqlJsInit } from "./paged-sqljs-types.ts";

  const init: PagedSqlJsInit;
  export default init;
}
