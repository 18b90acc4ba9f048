export * from "./annotations.ts";
export * from "./builders.ts";
export * from "./ids.ts";
export * from "./types.ts";
