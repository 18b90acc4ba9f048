/**
 * Elsewhere (Node, Bun, Deno, type checks): the same constructor shape, so the
 * modules that define Durable Objects import and type-check everywhere. Only
 * workerd ever instantiates them.
 */
export class DurableObject<Env = unknown> {
  constructor(
    protected readonly ctx: unknown,
    protected readonly env: Env,
  ) {}
}
