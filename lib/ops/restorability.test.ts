import { describe, expect, it } from "vitest";
import { assertNoRestoreBlockers, restoreBlockers, type InstalledExtension } from "./restorability";
import { rlsBlockedTables, type RlsTable } from "./rls-check";

const ext = (name: string, over: Partial<InstalledExtension> = {}): InstalledExtension => ({
  name,
  version: "1.0",
  builtin: false,
  available: true,
  superuserOnly: true,
  trusted: false,
  ...over,
});

describe("restoreBlockers", () => {
  const ordinary = { role: "app", superuser: false, templateExtensions: [] };
  it.each([
    ["an untrusted extension blocks an ordinary role", [ext("pg_stat_statements")], ordinary, ["pg_stat_statements"]],
    ["a trusted one does not", [ext("citext", { trusted: true })], ordinary, []],
    ["one that needs no superuser does not", [ext("plain", { superuserOnly: false })], ordinary, []],
    ["a superuser is never blocked by privileges", [ext("pg_stat_statements")], { ...ordinary, superuser: true }, []],
    ["built-in ones are not dumped", [ext("plpgsql", { builtin: true })], ordinary, []],
    ["one already in the staging template is skipped", [ext("pg_stat_statements")], { ...ordinary, templateExtensions: ["pg_stat_statements"] }, []],
    ["missing files block even a superuser", [ext("postgis", { available: false })], { ...ordinary, superuser: true }, ["postgis"]],
  ] as const)("%s", (_what, exts, facts, expected) => {
    expect(restoreBlockers(exts, facts).map((b) => b.name)).toEqual(expected);
  });

  it("refuses a backup with blockers and passes one without (or unchecked)", () => {
    const blockers = restoreBlockers([ext("pg_stat_statements")], ordinary);
    expect(() => assertNoRestoreBlockers({ name: "b.dump", restoreBlockers: blockers })).toThrow(/pg_stat_statements.*fix: take clone backups/);
    expect(() => assertNoRestoreBlockers({ name: "b.dump", restoreBlockers: [] })).not.toThrow();
    expect(() => assertNoRestoreBlockers({ name: "b.dump", restoreBlockers: null })).not.toThrow();
  });
});

describe("rlsBlockedTables", () => {
  const t = (table: string, forced: boolean, ownedByRole: boolean): RlsTable => ({ table, owner: ownedByRole ? "app" : "other", forced, ownedByRole });
  const tables = [t("own_plain", false, true), t("own_forced", true, true), t("others", false, false)];
  it("blocks forced tables and other roles' RLS tables for an ordinary role", () => {
    expect(rlsBlockedTables(tables, { role: "app", superuser: false, bypassRls: false }).map((x) => x.table)).toEqual(["own_forced", "others"]);
  });
  it("blocks nothing for BYPASSRLS or a superuser", () => {
    expect(rlsBlockedTables(tables, { role: "app", superuser: false, bypassRls: true })).toEqual([]);
    expect(rlsBlockedTables(tables, { role: "app", superuser: true, bypassRls: false })).toEqual([]);
  });
});
