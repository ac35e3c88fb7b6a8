import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isMetadataDatabase } from "./app-settings";
import { appFormSchema, newAppFormSchema, RESERVED_SLUGS, sameConnection } from "./apps";

const base = { slug: "shop", host: "127.0.0.1", port: "5432", user: "shop_owner", backupsDir: "/srv/backups" };

describe("appFormSchema: the app's database", () => {
  for (const database of ["postgres", "template0", "template1"]) {
    it(`refuses the system database ${database}, from the field and from a URL`, () => {
      const parts = appFormSchema.safeParse({ ...base, database });
      expect(parts.success).toBe(false);
      expect(parts.error?.issues[0]).toMatchObject({ path: ["database"], message: expect.stringContaining("system database") });
      const url = appFormSchema.safeParse({ slug: "shop", url: `postgres://u:p@db:5432/${database}`, backupsDir: "/srv/backups" });
      expect(url.success).toBe(false);
      expect(url.error?.issues[0]).toMatchObject({ path: ["url"], message: expect.stringContaining("system database") });
    });
  }

  it("accepts an ordinary database name", () => {
    expect(appFormSchema.safeParse({ ...base, database: "shop" }).success).toBe(true);
  });
});

describe("appFormSchema: PgBouncer's admin console", () => {
  it("is parsed from its URL (the path is PgBouncer's name for the database); empty means none", () => {
    const r = appFormSchema.parse({ ...base, database: "shop", pgbouncerUrl: "postgres://pgb_admin:s3cret@10.0.0.5:6432/shop_pool" });
    expect(r.pgbouncer).toEqual({ host: "10.0.0.5", port: 6432, user: "pgb_admin", password: "s3cret", database: "shop_pool" });
    expect(appFormSchema.parse({ ...base, database: "shop", pgbouncerUrl: "" }).pgbouncer).toBeNull();
  });

  it("refuses options, a conninfo-like database and a missing user, on its own field", () => {
    for (const pgbouncerUrl of ["postgres://a:b@h:6432/shop?sslmode=disable", "postgres://a@h:6432/host=evil", "postgres://h:6432/shop", "not a url"]) {
      const r = appFormSchema.safeParse({ ...base, database: "shop", pgbouncerUrl });
      expect(r.success, pgbouncerUrl).toBe(false);
      expect(r.error?.issues[0]?.path).toEqual(["pgbouncerUrl"]);
    }
  });
});

/** Static route segments a slug would collide with: /apps/<seg> and /<seg> (the API and top-level pages). */
function staticSegments(dir: string): string[] {
  const abs = path.join(process.cwd(), dir);
  return fs
    .readdirSync(abs, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => (/^\(.*\)$/.test(e.name) ? staticSegments(path.join(dir, e.name)) : /^[[@_]/.test(e.name) ? [] : [e.name]));
}

describe("reserved app names", () => {
  it("are refused when registering, together with the other field errors", () => {
    const r = newAppFormSchema.safeParse({ ...base, slug: "new", database: "template1" });
    expect(r.error?.issues.map((i) => i.path[0]).sort()).toEqual(["database", "slug"]);
    expect(r.error?.issues.find((i) => i.path[0] === "slug")?.message).toContain("reserved");
  });

  it("still name an app registered before the rule, so it can be backed up and edited", () => {
    expect(appFormSchema.safeParse({ ...base, slug: "new", database: "shop" }).success).toBe(true);
  });

  it("reserves every static route segment next to /apps/[app] and at the top level", () => {
    const segments = [...staticSegments("app/(dashboard)/apps"), ...staticSegments("app"), ...staticSegments("app/(dashboard)/apps/[app]")];
    expect(segments).toContain("new");
    expect(segments).toContain("api");
    const missing = segments.filter((s) => /^[a-z][a-z0-9-]{1,39}$/.test(s) && !RESERVED_SLUGS.has(s));
    expect(missing, "route segments an app name could hide; add them to RESERVED_SLUGS").toEqual([]);
  });
});

describe("sameConnection: when the stored password may be used", () => {
  const stored = { host: "db.internal", port: 5432, user: "shop_owner", database: "shop" };
  it.each([
    ["identical", stored, true],
    ["host case differs", { ...stored, host: "DB.internal" }, true],
    ["another host", { ...stored, host: "evil.example" }, false],
    ["another port", { ...stored, port: 5433 }, false],
    ["another user", { ...stored, user: "postgres" }, false],
    ["another database", { ...stored, database: "other" }, false],
  ])("%s → %s", (_label, conn, expected) => {
    expect(sameConnection(stored, conn)).toBe(expected);
  });
});

describe("isMetadataDatabase", () => {
  const meta = "postgres://lifeboat:secret@127.0.0.1:5433/lifeboat?sslmode=disable";
  it.each([
    [{ host: "127.0.0.1", port: 5433, user: "x", database: "lifeboat" }, true],
    [{ host: "localhost", port: 5433, user: "x", database: "lifeboat" }, true],
    [{ host: "db.internal", port: 5433, user: "x", database: "lifeboat" }, true],
    [{ host: "127.0.0.1", port: 5432, user: "x", database: "lifeboat" }, false],
    [{ host: "127.0.0.1", port: 5433, user: "x", database: "shop" }, false],
  ])("%j → %s", (conn, expected) => {
    expect(isMetadataDatabase(conn, meta)).toBe(expected);
  });
  it("tells two different remote hosts apart", () => {
    expect(isMetadataDatabase({ host: "app-db", port: 5432, user: "x", database: "lifeboat" }, "postgres://u@meta-db:5432/lifeboat")).toBe(false);
    expect(isMetadataDatabase({ host: "meta-db", port: 5432, user: "x", database: "lifeboat" }, "postgres://u@meta-db:5432/lifeboat")).toBe(true);
  });
});

describe("test connection needs no backups directory (issue 8 item 9)", () => {
  it("the connection test accepts a form without one; saving still asks for it", async () => {
    const { testConnectionFormSchema } = await import("./apps");
    const form = { slug: "shop", host: "127.0.0.1", port: "5432", user: "shop_owner", database: "shop" };
    expect(testConnectionFormSchema.safeParse(form).success).toBe(true);
    const save = appFormSchema.safeParse(form);
    expect(save.success).toBe(false);
    expect(save.error?.issues[0]?.path).toEqual(["backupsDir"]);
  });
});
