/**
 * RFC 9457 problem details. Every error the API returns goes through here, so
 * the redactor sees every `detail` before it leaves the process.
 */
export const PROBLEM_BASE = "https://baton-edge.dev/problems/";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  /** Extension members (RFC 9457 §3.2), e.g. validation issues. */
  [extension: string]: unknown;
}

/** Thrown anywhere below a route; the app's error handler renders it. */
export class HttpProblem extends Error {
  readonly status: number;
  readonly slug: string;
  readonly title: string;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    slug: string,
    title: string,
    detail?: string,
    options: { extensions?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(detail ?? title);
    this.name = "HttpProblem";
    this.status = status;
    this.slug = slug;
    this.title = title;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }
}

export function problemBody(problem: HttpProblem, instance: string, redact: (text: string) => string): Problem {
  return {
    type: PROBLEM_BASE + problem.slug,
    title: problem.title,
    status: problem.status,
    detail: redact(problem.message),
    instance,
    ...problem.extensions,
  };
}

export function problemResponse(body: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}

export const notFound = (what: string) => new HttpProblem(404, "not-found", "Not Found", what);
export const badRequest = (detail: string, extensions?: Record<string, unknown>) =>
  new HttpProblem(400, "invalid-request", "Invalid request", detail, { extensions });
export const conflict = (slug: string, detail: string, extensions?: Record<string, unknown>) =>
  new HttpProblem(409, slug, "Conflict", detail, { extensions });
