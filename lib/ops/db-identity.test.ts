import { describe, expect, it } from "vitest";
import { createDatabaseLocaleOptions, identityDiff, settingClause, splitListSetting, type DbIdentity } from "./db-identity";
import { identityNotKept, type RoleFacts } from "./db-identity-apply";
import { planFidelityFrom } from "./restore-fidelity";
import { compareFingerprints, fingerprintRoles, type Fingerprint } from "./fidelity";

const id: DbIdentity = {
  encoding: "UTF8",
  localeProvider: "i",
  collate: "C.utf8",
  ctype: "C.utf8",
  iculocale: "en-US",
  owner: "shop",
  comment: "the shop",
  connLimit: 50,
  acl: [
    { grantee: "shop", privilege: "CONNECT", grantable: false },
    { grantee: "ro", privilege: "CONNECT", grantable: false },
  ],
  settings: ["TimeZone=America/New_York", "app.tenant=acme", 'search_path="$user", app, public'],
  roleSettings: [{ role: "ro", settings: ["statement_timeout=5s"] }],
};

const facts = (over: Partial<RoleFacts> = {}): RoleFacts => ({
  user: "shop",
  superuser: false,
  createrole: false,
  existing: ["shop", "ro"],
  memberOf: ["shop"],
  superRoles: [],
  restrictedSettings: [],
  ...over,
});

describe("settings as ALTER … SET clauses", () => {
  it("splits list settings like pg_dump: quotes, doubled quotes, spaces", () => {
    expect(splitListSetting('"$user", app, public')).toEqual(["$user", "app", "public"]);
    expect(splitListSetting('"a,b", "say ""hi""",c')).toEqual(["a,b", 'say "hi"', "c"]);
    expect(splitListSetting("")).toEqual([]);
  });

  it("quotes every element of a list setting and the whole value of any other", () => {
    expect(settingClause('search_path="$user", app, public')).toBe(`"search_path" TO '$user', 'app', 'public'`);
    expect(settingClause("TimeZone=America/New_York")).toBe(`"TimeZone" TO 'America/New_York'`);
    expect(settingClause("app.tenant=it's, a list?")).toBe(`"app"."tenant" TO 'it''s, a list?'`);
    expect(settingClause("search_path=")).toBe(`"search_path" TO ''`);
    expect(() => settingClause("novalue")).toThrow();
  });

  it("creates the staging database with the source's encoding and locale", () => {
    expect(createDatabaseLocaleOptions(id, 150018)).toBe("ENCODING 'UTF8' LC_COLLATE 'C.utf8' LC_CTYPE 'C.utf8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US'");
    expect(createDatabaseLocaleOptions({ ...id, localeProvider: "c", iculocale: null, collate: "de_DE.utf8" }, 150018)).toContain("LOCALE_PROVIDER libc");
    // Before 15 there is no provider to name.
    expect(createDatabaseLocaleOptions(id, 140010)).not.toContain("ICU");
  });
});

describe("what differs, and what a role cannot keep", () => {
  it("lists each property that changes, in words", () => {
    const live = { ...id, settings: ["search_path=public"], connLimit: -1, comment: null, roleSettings: [] };
    const d = identityDiff(live, id);
    expect(d).toEqual(
      expect.arrayContaining([
        { key: "setting:search_path", label: "search_path", from: "public", to: '"$user", app, public' },
        { key: "setting:TimeZone", label: "TimeZone", from: "(not set)", to: "America/New_York" },
        { key: "connlimit", label: "connection limit", from: "unlimited", to: "50" },
        { key: "comment", label: "comment", from: "(not set)", to: "the shop" },
        { key: "role:ro:statement_timeout", label: "statement_timeout for role ro", from: "(not set)", to: "5s" },
      ]),
    );
    expect(identityDiff(id, id)).toEqual([]);
  });

  it("names another role's settings, a foreign owner and restricted settings, each with a fix", () => {
    const n = identityNotKept({ ...id, owner: "boss" }, facts({ existing: ["shop", "ro", "boss"], restrictedSettings: ["app.tenant"] }));
    expect(n.map((x) => x.label)).toEqual(["database owner boss", "setting app.tenant", "settings for role ro (statement_timeout=5s)"]);
    expect(n[0]!.fix).toContain('GRANT "boss" TO "shop"');
    expect(n[1]!.fix).toContain("GRANT SET ON PARAMETER app.tenant");
    // A superuser keeps everything; CREATEROLE may set a non-superuser's defaults.
    expect(identityNotKept({ ...id, owner: "boss" }, facts({ superuser: true, existing: ["shop", "ro", "boss"] }))).toEqual([]);
    expect(identityNotKept(id, facts({ createrole: true }))).toEqual([]);
    // A role that no longer exists cannot get its settings or grants back.
    expect(identityNotKept(id, facts({ existing: ["shop"] })).map((x) => x.label)).toEqual(["settings for role ro (statement_timeout=5s)", "database privilege CONNECT for ro"]);
  });
});

const print = (over: Partial<Fingerprint> = {}): Fingerprint => ({
  version: 1,
  objects: { "relation app.t": "a", "trigger app.t.x": "b", "relation app.mv": "c" },
  owners: { "relation app.t": "shop", "relation app.mv": "boss" },
  acls: { "relation app.t": "{shop=arwdDxt/shop,ro=r/shop}" },
  ownership: {},
  triggers: {},
  rows: { "app.t": 10, "app.mv": 3 },
  uncounted: [],
  matviews: ["app.mv"],
  largeObjects: 0,
  ...over,
});

describe("the plan for a restore and the comparison before the swap", () => {
  it("a dump keeps owners the role may act as and grants to roles that exist; names the rest", () => {
    const p = planFidelityFrom(id, { method: "dump", format: "custom", identity: id, fingerprint: print() }, facts());
    expect(p.keep).toEqual({ owners: false, acls: true });
    expect(p.ownersNotKept).toEqual(["boss"]);
    expect(p.notKept.map((n) => n.label)).toContain("ownership of objects owned by boss");
    expect(p.effects.join(" ")).toContain("Materialized views (app.mv)");
    expect(p.blockers).toEqual([]);
    // The expected identity leaves out what cannot be kept.
    expect(p.expected.roleSettings).toEqual([]);
  });

  it("refuses a plain dump whose grants name a role that is gone; a custom one drops the grants instead", () => {
    const gone = facts({ existing: ["shop"] });
    expect(planFidelityFrom(id, { method: "dump", format: "plain", identity: id, fingerprint: print() }, gone).blockers[0]).toContain("ro");
    const custom = planFidelityFrom(id, { method: "dump", format: "custom", identity: id, fingerprint: print() }, gone);
    expect(custom.blockers).toEqual([]);
    expect(custom.keep.acls).toBe(false);
  });

  it("a backup without a recorded identity keeps the live database's properties, and says so", () => {
    const live = { ...id, comment: "live now" };
    const p = planFidelityFrom(live, { method: "clone", format: null, identity: null, fingerprint: null }, facts());
    expect(p.apply).toBe(live);
    expect(p.diffs.filter((d) => d.key !== "role:ro:statement_timeout")).toEqual([]);
    expect(p.effects.join(" ")).toContain("before Lifeboat recorded database properties");
  });

  it("reports every difference, marks the ones the plan named, and reads grantees from ACLs", () => {
    expect(fingerprintRoles(print())).toEqual({ owners: ["boss", "shop"], grantees: ["ro", "shop"] });
    const staging = { ...print({ objects: { "relation app.t": "a", "trigger app.t.x": "B", "relation app.mv": "c" }, rows: { "app.t": 10, "app.mv": 4 }, owners: { "relation app.t": "shop", "relation app.mv": "shop" } }), text: { "trigger app.t.x": "CREATE TRIGGER x … WHEN (text)" } };
    const d = compareFingerprints(print(), staging, { matviewsRefreshed: true, ownersKept: false, aclsKept: true });
    expect(d.filter((x) => !x.explained).map((x) => `${x.kind} ${x.what}`)).toEqual(["schema trigger app.t.x"]);
    expect(d.filter((x) => x.explained).map((x) => `${x.kind} ${x.what}`)).toEqual(["owner relation app.mv", "rows app.mv"]);
    // A clone copies materialized views: a different count there is a real difference.
    const clone = compareFingerprints(print(), { ...print({ rows: { "app.t": 10, "app.mv": 4 } }), text: {} }, { matviewsRefreshed: false, ownersKept: true, aclsKept: true });
    expect(clone.map((x) => [x.what, !!x.explained])).toEqual([["app.mv", false]]);
  });
});
