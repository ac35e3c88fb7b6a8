import { describe, expect, it } from "vitest";
import type { DbIdentity } from "./db-identity";
import { drillPropertyScope } from "./drill-properties";
import { planFidelityFrom } from "./restore-fidelity";

// What a drill says it compared, from the same plan a restore shows before it is confirmed.
const id: DbIdentity = {
  encoding: "UTF8",
  localeProvider: "c",
  collate: "C",
  ctype: "C",
  iculocale: null,
  owner: "shop_owner",
  comment: null,
  connLimit: -1,
  acl: null,
  settings: ["statement_timeout=7s", "log_statement=all"],
  roleSettings: [{ role: "reporting", settings: ["work_mem=64MB"] }],
};
const facts = { user: "lifeboat", superuser: false, createrole: false, existing: ["shop_owner"], memberOf: ["shop_owner"], superRoles: [], restrictedSettings: ["log_statement"] };

describe("drillPropertyScope", () => {
  it("compares what this role can give the copy and names, with the reason, what it cannot", () => {
    const plan = planFidelityFrom(id, { method: "clone", format: null, identity: id, fingerprint: null }, facts);
    const s = drillPropertyScope(plan);
    expect(s.compared).toEqual(["encoding", "locale", "owner", "comment", "connection limit", "database privileges", "setting statement_timeout"]);
    expect(s.notCompared[0]).toBe("database name (the scratch database has its own)");
    expect(s.notCompared.join("\n")).toMatch(/setting log_statement: only a superuser/);
    expect(s.notCompared.join("\n")).toMatch(/settings for role reporting \(work_mem=64MB\): the role reporting no longer exists/);
  });

  it("leaves the owner out when it cannot be given back", () => {
    const plan = planFidelityFrom(id, { method: "clone", format: null, identity: id, fingerprint: null }, { ...facts, memberOf: [] });
    const s = drillPropertyScope(plan);
    expect(s.compared).not.toContain("owner");
    expect(s.notCompared.join("\n")).toMatch(/database owner shop_owner: lifeboat is not a member of shop_owner/);
  });

  it("compares none of them for a backup that recorded none", () => {
    const plan = planFidelityFrom(id, { method: "clone", format: null, identity: null, fingerprint: null }, facts);
    expect(drillPropertyScope(plan)).toEqual({ compared: [], notCompared: ["database name (the scratch database has its own)", expect.stringMatching(/this backup recorded none/)] });
  });
});
