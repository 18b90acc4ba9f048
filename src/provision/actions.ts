/**
 * Plugin actions (Baton's global actions, §1.8): their published schemas and
 * one invocation. Arguments are checked against the action's valibot schema
 * before the plugin sees them; a handler's error is the invocation's failure.
 * Baton runs handlers detached and lets callers poll; an edge runtime keeps no
 * per-process state, so an invocation here finishes within the request.
 */
import { toJsonSchema } from "@valibot/to-json-schema";
import * as v from "valibot";
import type { ActionDefinition, AnyPlugin, PluginContext } from "../plugins/contract.ts";
import { ProvisionError } from "./errors.ts";

export type JsonSchema = Record<string, unknown>;

export interface ActionSchema {
  name: string;
  displayName?: string;
  description?: string;
  /** JSON Schema (draft 2020-12) of the arguments object. */
  args: JsonSchema;
}

const ANY_OBJECT: JsonSchema = { type: "object" };

function argsJsonSchema(action: ActionDefinition<unknown>): JsonSchema {
  if (!action.args) return ANY_OBJECT;
  const schema = toJsonSchema(action.args, { target: "draft-2020-12", errorMode: "ignore" }) as JsonSchema;
  delete schema.$schema;
  return schema;
}

/** What `--list-action-schemas` prints and `GET /v1/connectors/{name}/actions` returns, in declaration order. */
export function actionSchemas(plugin: AnyPlugin): ActionSchema[] {
  return (plugin.actions ?? []).map(
    (action): ActionSchema => ({
      name: action.name,
      ...(action.displayName ? { displayName: action.displayName } : {}),
      ...(action.description ? { description: action.description } : {}),
      args: argsJsonSchema(action),
    }),
  );
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The action by name; `not-found` names the ones the plugin has. */
export function findAction(plugin: AnyPlugin, name: string): ActionDefinition<unknown> {
  const action = (plugin.actions ?? []).find((candidate) => candidate.name === name);
  if (!action) {
    const known = (plugin.actions ?? []).map((a) => a.name).join(", ") || "none";
    throw new ProvisionError("not-found", `plugin ${plugin.name} has no action "${name}" (actions: ${known})`);
  }
  return action;
}

/** Checks arguments against the action's schema; `invalid-argument` names the field, never the value. */
export function checkActionArgs(
  plugin: AnyPlugin,
  action: ActionDefinition<unknown>,
  args: unknown,
): Record<string, unknown> {
  const where = `action ${action.name} of plugin ${plugin.name}`;
  if (!isPlainObject(args)) throw new ProvisionError("invalid-argument", `${where}: arguments must be a JSON object`);
  if (!action.args) return args;
  const result = v.safeParse(action.args, args);
  if (!result.success) {
    const problems = result.issues.map((issue) => {
      const path = v.getDotPath(issue);
      // The expectation, never the received value: arguments may carry something sensitive.
      const problem =
        issue.received === "undefined" ? "is required" : issue.expected ? `expected ${issue.expected}` : issue.message;
      return path ? `${path}: ${problem}` : problem;
    });
    throw new ProvisionError("invalid-argument", `${where}: invalid arguments: ${problems.join("; ")}`);
  }
  return result.output;
}

export interface ActionOutcome {
  action: string;
  /** Baton's terminal status of a finished invocation. */
  status: "complete";
  response: Record<string, unknown>;
}

/** Runs one action to completion. A handler error propagates: the invocation failed. */
export async function invokeAction(
  target: { plugin: AnyPlugin; ctx: PluginContext<unknown> },
  name: string,
  args: unknown,
): Promise<ActionOutcome> {
  const action = findAction(target.plugin, name);
  const checked = checkActionArgs(target.plugin, action, args);
  const response: unknown = await action.run(checked, target.ctx);
  if (!isPlainObject(response)) {
    throw new Error(`plugin ${target.plugin.name}: action ${name} must return a JSON object`);
  }
  return { action: name, status: "complete", response };
}
