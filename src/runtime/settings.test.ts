import { describe, expect, it } from "vitest";
import { authSettingsFromEnv, listenAddressFromEnv, SettingsError } from "./settings.ts";

const secret = "s".repeat(40);

describe("authSettingsFromEnv", () => {
  it("builds JWT settings from BATON_AUTH_* with list-valued issuer and audience", () => {
    expect(
      authSettingsFromEnv({
        BATON_AUTH_HS_SECRET: secret,
        BATON_AUTH_ISSUER: "a, b",
        BATON_AUTH_AUDIENCE: "api",
        BATON_AUTH_ALGORITHMS: "HS256",
      }),
    ).toEqual({
      mode: "jwt",
      issuer: ["a", "b"],
      audience: ["api"],
      hsSecret: secret,
      publicKey: undefined,
      jwksUrl: undefined,
      algorithms: ["HS256"],
    });
  });

  it("turns auth off only when asked by name", () => {
    expect(authSettingsFromEnv({ BATON_AUTH: "off" })).toEqual({ mode: "off" });
    expect(() => authSettingsFromEnv({})).toThrow(SettingsError);
    expect(() => authSettingsFromEnv({})).toThrow(/no API auth configured: set BATON_AUTH_HS_SECRET/);
    expect(() => authSettingsFromEnv({ BATON_AUTH: "maybe" })).toThrow(/BATON_AUTH must be "jwt" or "off"/);
  });
});

describe("listenAddressFromEnv", () => {
  const jwt = authSettingsFromEnv({ BATON_AUTH_HS_SECRET: secret, BATON_AUTH_ISSUER: "i", BATON_AUTH_AUDIENCE: "a" });

  it("listens on all interfaces with auth, on PORT (default 8080)", () => {
    expect(listenAddressFromEnv({}, jwt)).toEqual({ hostname: "0.0.0.0", port: 8080 });
    expect(listenAddressFromEnv({ PORT: "9001", HOST: "10.0.0.5" }, jwt)).toEqual({ hostname: "10.0.0.5", port: 9001 });
  });

  it("binds loopback and warns when auth is off, even if HOST asks for more", () => {
    const address = listenAddressFromEnv({ HOST: "0.0.0.0", PORT: "8081" }, { mode: "off" });
    expect(address.hostname).toBe("127.0.0.1");
    expect(address.port).toBe(8081);
    expect(address.warning).toMatch(/auth is OFF.*127\.0\.0\.1 only \(HOST=0\.0\.0\.0 ignored\)/);
    expect(listenAddressFromEnv({ HOST: "::1" }, { mode: "off" }).hostname).toBe("::1");
  });

  it("rejects a bad PORT by name", () => {
    expect(() => listenAddressFromEnv({ PORT: "http" }, jwt)).toThrow(/PORT must be 0-65535, got "http"/);
  });
});
