import { describe, expect, it } from "vitest";
import { capabilities, capability } from "./capabilities";

const app = { dbUser: "shop_owner", canCreateDb: true };

describe("capabilities", () => {
  it("an admin on a server that allows CREATEDB may do everything", () => {
    const caps = capabilities("admin", app);
    expect(Object.values(caps).every((c) => c.ok)).toBe(true);
  });

  it("a viewer may do nothing, and is told which role is needed", () => {
    const caps = capabilities("viewer", app);
    expect(Object.values(caps).some((c) => c.ok)).toBe(false);
    const backup = caps.backup;
    expect(backup.ok).toBe(false);
    if (!backup.ok) expect(backup.reason).toMatch(/Operator role; you are a Viewer/);
  });

  it("an operator backs up but does not restore or roll back", () => {
    expect(capability("operator", app, "backup").ok).toBe(true);
    expect(capability("operator", app, "verify").ok).toBe(true);
    const restore = capability("operator", app, "restore");
    expect(restore.ok).toBe(false);
    if (!restore.ok) expect(restore.reason).toMatch(/Admin role/);
  });

  it("without CREATEDB, clones and restores are refused with the fix; dumps and code-only rollbacks are not", () => {
    const noCreate = { dbUser: "shop_owner", canCreateDb: false };
    for (const a of ["clone", "restore", "rollbackWithDatabase"] as const) {
      const c = capability("admin", noCreate, a);
      expect(c.ok).toBe(false);
      if (!c.ok) expect(c.reason).toContain("ALTER ROLE shop_owner CREATEDB");
    }
    expect(capability("admin", noCreate, "backup").ok).toBe(true);
    expect(capability("admin", noCreate, "rollback").ok).toBe(true);
  });

  it("an unknown permission (never probed) is not refused up front", () => {
    expect(capability("admin", { dbUser: "x", canCreateDb: null }, "restore").ok).toBe(true);
  });
});
