import { describe, expect, it } from "vitest";
import { appFormSchema } from "./apps";
import { wholeNumber } from "./numbers";

// An outside tester's finding: form numbers were refused in zod's words ("Too big: expected number to be <=65535").
describe("wholeNumber", () => {
  const n = wholeNumber(1, 100);
  it("takes digits and JSON numbers in range", () => {
    expect(n.parse("5")).toBe(5);
    expect(n.parse(" 100 ")).toBe(100);
    expect(n.parse(1)).toBe(1);
  });
  it.each(["0", "101", "1e9", "1.5", "54 32", "0x3", "", "abc", 1.5, -1, null])("refuses %j with one message in words", (v) => {
    const r = n.safeParse(v);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.message)).toEqual(["a whole number from 1 to 100"]);
  });
});

describe("the app form's numbers and health URL", () => {
  const base = { slug: "shop", url: "postgres://u:p@127.0.0.1:5432/shop", backupsDir: "/var/backups/shop" };
  const problems = (extra: Record<string, unknown>) => {
    const r = appFormSchema.safeParse({ ...base, ...extra });
    return r.success ? {} : Object.fromEntries(r.error.issues.map((i) => [String(i.path[0]), i.message]));
  };
  it("says what a field takes, in words", () => {
    expect(problems({ retention: "1e9" })).toEqual({ retention: "a whole number from 1 to 100" });
    expect(problems({ healthTimeoutSec: "0" })).toEqual({ healthTimeoutSec: "a whole number from 1 to 600 seconds" });
  });
  it("refuses a health URL with a login (the probe sends none, and the page would show it)", () => {
    expect(problems({ healthUrl: "http://u:secretpw@127.0.0.1:1/h" })).toEqual({ healthUrl: expect.stringMatching(/^no user:password@ in the health URL/) });
    expect(problems({ healthUrl: "http://127.0.0.1:1/h?token=abc" })).toEqual({});
  });
});
