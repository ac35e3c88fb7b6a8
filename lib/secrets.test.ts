import crypto from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret } from "./secrets";

describe("secret box", () => {
  beforeEach(() => {
    process.env.LIFEBOAT_SECRET_KEY = crypto.randomBytes(32).toString("base64");
  });

  it("round-trips and never stores the plaintext", () => {
    const stored = encryptSecret("s3cret-pä55");
    expect(stored).not.toContain("s3cret");
    expect(decryptSecret(stored)).toBe("s3cret-pä55");
    expect(encryptSecret("same")).not.toBe(encryptSecret("same"));
  });

  it("refuses a tampered value and a changed key", () => {
    const stored = encryptSecret("pw");
    const parts = stored.split(".");
    parts[3] = Buffer.from("xx").toString("base64url");
    expect(() => decryptSecret(parts.join("."))).toThrow(/cannot be decrypted/);
    process.env.LIFEBOAT_SECRET_KEY = crypto.randomBytes(32).toString("base64");
    expect(() => decryptSecret(stored)).toThrow(/LIFEBOAT_SECRET_KEY changed/);
  });
});
