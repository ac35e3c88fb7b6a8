import { describe, expect, it } from "vitest";
import { DEFAULT_AFTER_SIGN_IN, safeNextPath } from "./safe-next";

// Each of these must stay on this site; the ones that would not come back as the default.
const HOSTILE: unknown[] = [
  "//evil.example",
  "//evil.example/x",
  "/\t/evil.example/x",
  "/\n/evil.example/x",
  "/\r/evil.example/x",
  "/\r\n/evil.example",
  "\t//evil.example",
  " /apps",
  "/\\evil.example",
  "\\\\evil.example",
  "/\\/evil.example",
  "/apps\\..\\..\\evil",
  "https://evil.example/apps",
  "http:/evil.example",
  "javascript:alert(1)",
  "JaVaScRiPt:alert(1)",
  "data:text/html,<script>alert(1)</script>",
  "evil.example",
  "apps",
  "/apps//evil",
  "/./\t/evil.example",
  "/\u0000/evil.example",
  "/\u007f/evil.example",
  "/\u0085/evil.example",
  "/\u2028/evil.example",
  "/\u00a0/evil.example",
  "/login",
  "/login?next=//evil.example",
  "/api/auth/signout",
  "",
  "/" + "a".repeat(3000),
  null,
  undefined,
  42,
  ["/apps"],
  { toString: () => "/apps" },
];

const FINE: [string, string][] = [
  ["/apps", "/apps"],
  ["/apps/shop?tab=backups", "/apps/shop?tab=backups"],
  ["/apps/shop#jobs", "/apps/shop#jobs"],
  ["/audit?user=a%40b.example", "/audit?user=a%40b.example"],
  ["/apps/../audit", "/audit"],
  ["/logins-report", "/logins-report"],
  ["/apps/%2F%2Fevil.example", "/apps/%2F%2Fevil.example"],
];

describe("safeNextPath", () => {
  it.each(HOSTILE.map((v) => [JSON.stringify(v) ?? String(v), v]))("sends %s to the default", (_label, value) => {
    expect(() => safeNextPath(value)).not.toThrow();
    expect(safeNextPath(value)).toBe(DEFAULT_AFTER_SIGN_IN);
  });

  it.each(FINE)("keeps %s", (input, expected) => {
    expect(safeNextPath(input)).toBe(expected);
  });

  it("never returns anything a browser would resolve off-site", () => {
    for (const value of [...HOSTILE, ...FINE.map(([i]) => i)]) {
      const out = safeNextPath(value);
      expect(new URL(out, "https://lifeboat.example").origin).toBe("https://lifeboat.example");
    }
  });
});
