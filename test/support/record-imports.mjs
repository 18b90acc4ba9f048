// `node --import ./test/support/record-imports.mjs …`: appends the URL of every module the process
// resolves (static and dynamic imports) to $RECORD_IMPORTS_FILE, one per line.
import { register } from "node:module";

register("./record-imports-hooks.mjs", import.meta.url, { data: { file: process.env.RECORD_IMPORTS_FILE } });
