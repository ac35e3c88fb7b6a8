import { describe, expect, it } from "vitest";
import { checkPasswordPolicy, generatePassword, hashPassword, verifyPassword } from "./password";

describe("password policy", () => {
  it("wants at least 12 characters", () => {
    expect(checkPasswordPolicy("short-pw-11")).toMatch(/at least 12/);
    expect(checkPasswordPolicy("")).toMatch(/at least 12/);
    expect(checkPasswordPolicy("twelve-chars")).toBeNull();
  });

  it("counts characters, not bytes, for the minimum", () => {
    expect(checkPasswordPolicy("ééééééééééé")).toMatch(/at least 12/); // 11 characters, 22 bytes
  });

  it("refuses more than bcrypt's 72 bytes instead of silently truncating", () => {
    expect(checkPasswordPolicy("a1".repeat(36))).toBeNull();
    expect(checkPasswordPolicy("a1".repeat(36) + "b")).toMatch(/72 bytes/);
  });

  it("refuses one character repeated", () => {
    expect(checkPasswordPolicy("aaaaaaaaaaaaaaaa")).toMatch(/repeated/);
  });

  it("generates passwords that pass the policy and differ", () => {
    const a = generatePassword();
    expect(checkPasswordPolicy(a)).toBeNull();
    expect(a).not.toBe(generatePassword());
  });
});

describe("hashing", () => {
  it("verifies the right password only, at cost 12", async () => {
    const hash = await hashPassword("correct horse battery");
    expect(hash).toMatch(/^\$2[aby]\$12\$/);
    expect(await verifyPassword("correct horse battery", hash)).toBe(true);
    expect(await verifyPassword("correct horse batterY", hash)).toBe(false);
    expect(await verifyPassword("anything", "not-a-hash")).toBe(false);
  });
});
