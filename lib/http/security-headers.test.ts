import { describe, expect, it } from "vitest";
import nextConfig from "@/next.config";
import { createNonce, pageContentSecurityPolicy } from "./security-headers";

const directives = (policy: string) => new Map(policy.split("; ").map((d) => [d.split(" ")[0]!, d.split(" ").slice(1)]));

describe("the pages' Content-Security-Policy", () => {
  it("runs scripts only with this response's nonce in production: no inline, no eval, no framing", () => {
    const p = directives(pageContentSecurityPolicy("abc123==", { dev: false }));
    expect(p.get("script-src")).toEqual(["'self'", "'nonce-abc123=='", "'strict-dynamic'"]);
    expect(p.get("style-src")).toEqual(["'self'", "'nonce-abc123=='"]);
    expect(p.get("frame-ancestors")).toEqual(["'none'"]);
    expect(p.get("object-src")).toEqual(["'none'"]);
    expect(p.get("base-uri")).toEqual(["'self'"]);
    expect(p.get("form-action")).toEqual(["'self'"]);
  });

  it("allows eval only in development (React's dev tooling)", () => {
    expect(directives(pageContentSecurityPolicy("n", { dev: true })).get("script-src")).toContain("'unsafe-eval'");
  });

  it("makes a fresh 128-bit nonce each time", () => {
    const a = createNonce();
    expect(Buffer.from(a, "base64")).toHaveLength(16);
    expect(new Set(Array.from({ length: 50 }, createNonce)).size).toBe(50);
  });
});

describe("next.config.ts headers", () => {
  it("sets nosniff, Referrer-Policy and no framing on every path, and a document-less CSP on the API", async () => {
    const rules = await nextConfig.headers!();
    const all = rules.find((r) => r.source === "/:path*")!.headers;
    const get = (k: string) => all.find((h) => h.key === k)?.value;
    expect(get("X-Content-Type-Options")).toBe("nosniff");
    expect(get("Referrer-Policy")).toBe("same-origin");
    expect(get("X-Frame-Options")).toBe("DENY");
    const api = rules.find((r) => r.source === "/api/:path*")!.headers;
    expect(api.find((h) => h.key === "Content-Security-Policy")?.value).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
  });
});
