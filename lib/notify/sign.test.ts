import { describe, expect, it } from "vitest";
import { signBody, verifySignature } from "./sign";

describe("webhook signature", () => {
  const secret = "a-secret-of-some-length";
  const body = JSON.stringify({ id: "event-1", summary: "x" });
  const ts = 1_800_000_000;
  const sig = signBody(secret, ts, body);

  it("verifies what it signed, within the window", () => {
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature({ secret, timestamp: String(ts), body, signature: sig, nowSec: ts + 10 })).toBe(true);
  });

  it("refuses a changed body, another secret, a moved timestamp, a replay outside the window and junk", () => {
    const v = (o: Partial<Parameters<typeof verifySignature>[0]>) => verifySignature({ secret, timestamp: String(ts), body, signature: sig, nowSec: ts, ...o });
    expect(v({ body: body.replace("x", "y") })).toBe(false);
    expect(v({ secret: "another-secret-entirely" })).toBe(false);
    expect(v({ timestamp: String(ts + 1), nowSec: ts + 1 })).toBe(false);
    expect(v({ nowSec: ts + 301 })).toBe(false);
    expect(v({ nowSec: ts - 301 })).toBe(false);
    expect(v({ timestamp: null })).toBe(false);
    expect(v({ timestamp: "1e9" })).toBe(false);
    expect(v({ signature: "sha256=00" })).toBe(false);
    expect(v({ signature: null })).toBe(false);
  });
});
