import { describe, expect, it } from "vitest";
import { clientIp, cookieValue, userAgentSummary } from "./client-info";
import { deviceNonceFor, makeDeviceToken } from "./device";

const h = (init: Record<string, string>) => new Headers(init);

describe("clientIp (one trusted proxy that appends X-Forwarded-For)", () => {
  it("takes the entry our proxy appended, not the ones the client sent", () => {
    expect(clientIp(h({ "x-forwarded-for": "6.6.6.6, 203.0.113.5" }))).toBe("203.0.113.5");
    expect(clientIp(h({ "x-forwarded-for": "2001:db8::1" }))).toBe("2001:db8::1");
    expect(clientIp(h({ "x-real-ip": "198.51.100.2" }))).toBe("198.51.100.2");
    expect(clientIp(h({}))).toBe("unknown");
  });

  it("keeps odd header values short and free of anything but address characters", () => {
    expect(clientIp(h({ "x-forwarded-for": `1.2.3.4, ${"9".repeat(500)}` })).length).toBeLessThanOrEqual(64);
    expect(clientIp(h({ "x-forwarded-for": "<script>alert(1)</script>" }))).toBe("scriptalert1script");
    expect(clientIp(h({ "x-forwarded-for": " , ,," }))).toBe("unknown");
  });
});

describe("userAgentSummary and cookieValue", () => {
  it("cuts the user agent and strips control characters", () => {
    expect(userAgentSummary(h({ "user-agent": `a\u0007b${"x".repeat(500)}` }))).toMatch(/^a bx+$/);
    expect(userAgentSummary(h({ "user-agent": "x".repeat(500) }))!.length).toBe(200);
    expect(userAgentSummary(h({}))).toBeNull();
  });

  it("reads one cookie", () => {
    expect(cookieValue(h({ cookie: "a=1; lifeboat-device=xyz.abc; b=2" }), "lifeboat-device")).toBe("xyz.abc");
    expect(cookieValue(h({ cookie: "xlifeboat-device=1" }), "lifeboat-device")).toBeNull();
  });
});

describe("device tokens", () => {
  it("prove a browser signed in to this account before, and no other", () => {
    process.env.AUTH_SECRET ??= "a-test-secret-of-enough-length";
    const token = makeDeviceToken("ann@example.com");
    expect(deviceNonceFor(token, "ann@example.com")).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(deviceNonceFor(token, "bob@example.com")).toBeNull();
    const [nonce, mac] = token.split(".");
    expect(deviceNonceFor(`${nonce}.${mac!.slice(0, -1)}${mac!.endsWith("A") ? "B" : "A"}`, "ann@example.com")).toBeNull();
    for (const junk of [null, "", "x", ".", `${nonce}.`, "a".repeat(300)]) expect(deviceNonceFor(junk, "ann@example.com")).toBeNull();
  });
});
