import { describe, expect, it } from "vitest";
import { boundEntry, boundParams, boundText, scrubSecrets, TRUSTED_BOUNDS, UNTRUSTED_BOUNDS } from "./bound";

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));
const flood = Object.fromEntries(Array.from({ length: 20_000 }, (_, k) => [`key_${k}_${"y".repeat(100)}`, "z".repeat(500)]));

// Secrets as they turn up in sign-in forms, headers, URLs and error messages.
const SECRETS: [string, string][] = [
  ["postgres://app:s3cret-pw@db.example/shop", "s3cret-pw"],
  ["host=db user=app password=s3cret-pw dbname=shop", "s3cret-pw"],
  ["Authorization: Bearer abc.def.s3cretTOKEN", "s3cretTOKEN"],
  ["authorization=Basic dXNlcjpzM2NyZXQ=", "dXNlcjpzM2NyZXQ"],
  ["Cookie: authjs.session-token=s3cretcookie", "s3cretcookie"],
  ['{"dbPassword":"s3cret-pw","x":1}', "s3cret-pw"],
  ["?api_key=s3cretkey&next=/", "s3cretkey"],
  ["token lb_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA used", "AAAAAAAAAAAAAAAA"],
  ["jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.s3cretsig", "s3cretsig"],
  ["clientSecret='s3cret pw'", "s3cret pw"],
];

describe("scrubSecrets", () => {
  it.each(SECRETS)("masks the secret in %j", (text, secret) => {
    expect(scrubSecrets(text)).not.toContain(secret);
  });

  it("leaves ordinary text alone", () => {
    expect(scrubSecrets("backup #42 of shop done in 3 s")).toBe("backup #42 of shop done in 3 s");
    expect(scrubSecrets("create one with npm run token:add")).toBe("create one with npm run token:add");
  });
});

describe("boundText", () => {
  it("cuts long text and marks the cut", () => {
    expect(boundText("a".repeat(100), 10)).toBe(`${"a".repeat(10)}…`);
    expect(boundText("short", 10)).toBe("short");
  });

  it("does not keep half of a password that straddles the cut", () => {
    const s = `${"a".repeat(50)} postgres://app:${"p".repeat(40)}@db/shop`;
    expect(boundText(s, 80)).not.toMatch(/p{5}/);
  });
});

describe("NUL bytes (PostgreSQL text and jsonb refuse U+0000)", () => {
  it("are replaced in values and keys, so the entry can still be written", () => {
    expect(scrubSecrets("a\u0000b")).toBe("a\u2400b");
    expect(JSON.stringify(boundParams({ ["k\u0000"]: ["x\u0000"] }, TRUSTED_BOUNDS))).not.toContain("\\u0000");
  });
});

describe("boundParams", () => {
  it("keeps 4.5 MB of keys to at most 4 KB (signed in) or 512 bytes (nobody signed in)", () => {
    expect(bytes(flood)).toBeGreaterThan(4_000_000);
    const trusted = boundParams(flood, TRUSTED_BOUNDS);
    const untrusted = boundParams(flood, UNTRUSTED_BOUNDS);
    expect(bytes(trusted)).toBeLessThanOrEqual(4096);
    expect(bytes(untrusted)).toBeLessThanOrEqual(512);
    expect(Object.keys(trusted).length).toBeGreaterThan(1);
    expect(JSON.stringify(trusted)).toMatch(/more keys/);
  });

  it("bounds depth, list length and key length", () => {
    let deep: Record<string, unknown> = { leaf: "x" };
    for (let i = 0; i < 1000; i++) deep = { d: deep };
    expect(JSON.stringify(boundParams(deep, TRUSTED_BOUNDS))).toContain("[…]");
    const list = boundParams({ ids: Array.from({ length: 10_000 }, (_, i) => i) }, TRUSTED_BOUNDS).ids as unknown[];
    expect(list.length).toBe(TRUSTED_BOUNDS.maxItems + 1);
    const [key] = Object.keys(boundParams({ ["k".repeat(10_000)]: 1 }, UNTRUSTED_BOUNDS));
    expect(key!.length).toBeLessThanOrEqual(UNTRUSTED_BOUNDS.maxKeyLength + 1);
  });

  it("redacts secret keys at any depth and secrets inside values and key names", () => {
    const out = JSON.stringify(
      boundParams(
        {
          app: "shop",
          password: "hunter2",
          nested: { connection: { dbPassword: "hunter3" }, note: "url postgres://u:hunter4@h/db" },
          list: [{ apiToken: "hunter5" }],
          "password=hunter6": 1,
        },
        TRUSTED_BOUNDS,
      ),
    );
    expect(out).not.toMatch(/hunter\d/);
    expect(out).toContain('"app":"shop"');
    expect(out).toContain("[redacted]");
  });
});

describe("hostile shapes", () => {
  it("keeps a __proto__ key as a plain key", () => {
    const out = boundParams(JSON.parse('{"__proto__":{"isAdmin":true},"a":1}'), TRUSTED_BOUNDS);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"isAdmin":true},"a":1}');
    expect((out as { isAdmin?: boolean }).isAdmin).toBeUndefined();
  });
});

describe("boundEntry", () => {
  it("bounds the app slug, actor and message of an unauthenticated call", () => {
    const e = boundEntry(
      { actor: `${"a".repeat(100_000)}@example.com`, appSlug: "s".repeat(900_000), action: "api.backups.start", message: "m".repeat(100_000), params: flood },
      UNTRUSTED_BOUNDS,
    );
    expect(bytes(e)).toBeLessThan(1000);
    expect(e.appSlug!.length).toBeLessThanOrEqual(65);
  });
});
