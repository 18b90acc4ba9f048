import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { configFields } from "../../src/plugins/fields.ts";
import { databaseSelected, postgresConfig, resolveConnection, sslOption } from "./config.ts";

describe("postgres config", () => {
  it("declares secret fields and env names the CLI understands", () => {
    const fields = Object.fromEntries(configFields(postgresConfig).map((f) => [f.name, f]));
    expect(fields.dsn?.secret).toBe(true);
    expect(fields.password?.secret).toBe(true);
    expect(fields.host?.secret).toBe(false);
    expect(fields.dsn?.env).toBe("BATON_DSN");
    expect(fields.includeDatabases?.kind).toBe("string-list");
    expect(fields.sslmode?.options).toContain("verify-full");
  });

  it("reads a DSN, percent-decoding every part, with fields taking precedence", () => {
    const config = v.parse(postgresConfig, {
      dsn: "postgresql://app%20user:p%40ss%3Aword@db.example:6543/my%20db?sslmode=require",
    });
    const settings = resolveConnection(config);
    expect(settings).toMatchObject({
      host: "db.example",
      port: 6543,
      user: "app user",
      password: "p@ss:word",
      database: "my db",
      sslmode: "require",
    });
    expect(settings.secrets).toContain("p@ss:word");
    expect(resolveConnection({ ...config, port: 5433, user: "other" })).toMatchObject({ port: 5433, user: "other" });
  });

  it("defaults like libpq and supports a unix socket directory", () => {
    expect(resolveConnection({})).toMatchObject({ host: "localhost", port: 5432, user: "postgres", sslmode: "prefer" });
    expect(resolveConnection({ host: "/run/postgresql" }).socketPath).toBe("/run/postgresql/.s.PGSQL.5432");
  });

  it("rejects bad DSNs without echoing them, and contradictory database lists", () => {
    expect(() => resolveConnection({ dsn: "mysql://u:secret@h/db" })).toThrow(/postgres:\/\//);
    expect(() => resolveConnection({ dsn: "postgres://u:secret@h:99999/db" })).toThrow(/not a valid URL|invalid port/);
    const bad = () => resolveConnection({ dsn: "postgres://u:secret@[/x" });
    expect(bad).toThrow(/^dsn is not a valid URL/);
    expect(bad).not.toThrow(/secret/);
    expect(() => resolveConnection({ includeDatabases: ["a"], excludeDatabases: ["a"] })).toThrow(
      /both included and excluded/,
    );
    expect(() => resolveConnection({ sslmode: "verify-ca", caCert: "not pem" })).toThrow(/PEM/);
  });

  it("maps sslmode to the driver's TLS options", () => {
    expect(sslOption({ sslmode: "disable" })).toBe(false);
    expect(sslOption({ sslmode: "prefer" })).toBe("prefer");
    expect(sslOption({ sslmode: "require" })).toBe("require");
    expect(sslOption({ sslmode: "verify-full", caCert: "PEM", host: "10.0.0.1" })).toEqual({
      host: "10.0.0.1",
      ca: "PEM",
      rejectUnauthorized: true,
    });
    const verifyCa = sslOption({ sslmode: "verify-ca", caCert: "PEM" }) as { checkServerIdentity: () => unknown };
    expect(verifyCa).toMatchObject({ ca: "PEM", rejectUnauthorized: true });
    expect(verifyCa.checkServerIdentity()).toBeUndefined();
  });

  it("filters databases by include and exclude lists", () => {
    expect(databaseSelected({ includeDatabases: [], excludeDatabases: ["b"] }, "a")).toBe(true);
    expect(databaseSelected({ includeDatabases: [], excludeDatabases: ["b"] }, "b")).toBe(false);
    expect(databaseSelected({ includeDatabases: ["a"], excludeDatabases: [] }, "c")).toBe(false);
  });
});
