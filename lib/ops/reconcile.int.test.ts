import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminSql, target as targetFor, uniqueName } from "@/test/helpers";
import { reconcileClone, type CloneReconciliation } from "./clone-recovery";
import type { JournalEntry } from "./journal";
import { reconcileStaging } from "./rollback-reconcile";
import { reconcileSwap, type SwapReconciliation } from "./swap";

// The database-side reconciles over typed journals, table-driven, against real databases on the test
// cluster: each case sets the server up as a crash would have left it, then checks the decision and the
// server afterwards.
let admin: postgres.Sql;
beforeAll(() => {
  admin = adminSql();
});
afterAll(async () => {
  await admin.end();
});

async function flags(prefix: string): Promise<Record<string, boolean>> {
  const rows = await admin<{ datname: string; datallowconn: boolean }[]>`SELECT datname, datallowconn FROM pg_database WHERE datname LIKE ${prefix + "%"}`;
  return Object.fromEntries(rows.map((r) => [r.datname, r.datallowconn]));
}
async function create(name: string, allow = true) {
  await admin.unsafe(`CREATE DATABASE ${name}`);
  if (!allow) await admin.unsafe(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
}

describe("reconcileSwap", () => {
  type Case = { name: string; dbs: ("live" | "staging" | "pre" | "live-refusing")[]; steps: ("disallow" | "rename" | "malformed")[]; state: SwapReconciliation["state"]; after: string[]; decision: RegExp };
  const cases: Case[] = [
    { name: "never reached, live fine", dbs: ["live"], steps: [], state: "not_reached", after: ["live:true"], decision: /^$/ },
    { name: "never reached, live left refusing", dbs: ["live-refusing"], steps: [], state: "not_reached", after: ["live:true"], decision: /allowed connections to .* again/ },
    { name: "disallowed, not renamed", dbs: ["live-refusing", "staging"], steps: ["disallow"], state: "not_swapped", after: ["live:true", "staging:true"], decision: /had not happened/ },
    { name: "renamed (committed)", dbs: ["live", "pre"], steps: ["disallow", "rename"], state: "swapped", after: ["live:true", "pre:true"], decision: /had committed/ },
    { name: "a state no swap leaves", dbs: ["live"], steps: ["rename"], state: "unknown", after: ["live:true"], decision: /could not tell/ },
    { name: "an unreadable swap journal", dbs: ["live-refusing", "pre"], steps: ["malformed"], state: "unknown", after: ["live:true", "pre:true"], decision: /malformed detail.*could not tell/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const live = uniqueName("rsw");
      const n = { live, staging: `${live}_staging_20260101_000000`, pre: `${live}_pre_rollback_20260101_000000` };
      for (const d of c.dbs) await create(d === "live-refusing" ? n.live : n[d], d !== "live-refusing");
      const detail = { live: n.live, staging: n.staging, preRollbackName: n.pre };
      const journal: JournalEntry[] = c.steps.map((s) => (s === "malformed" ? { step: "swap:rename", detail: { live: n.live } } : { step: `swap:${s}`, detail }));
      const r = await reconcileSwap(journal, { target: targetFor(n.live) });
      expect(r.state).toBe(c.state);
      expect(r.swapped).toBe(c.state === "swapped");
      expect(r.decisions.join("; ")).toMatch(c.decision);
      const now = await flags(live);
      const names = Object.fromEntries(Object.entries(n).map(([k, v]) => [v, k]));
      expect(Object.entries(now).map(([db, allow]) => `${names[db]}:${allow}`).sort()).toEqual(c.after.sort());
    });
  }
});

describe("reconcileClone (no backend left running)", () => {
  type Case = { name: string; steps: ("disallowed" | "creating" | "created")[]; cloneExists: boolean; sourceRefusing: boolean; outcome: CloneReconciliation["outcome"]; decision: RegExp };
  const cases: Case[] = [
    { name: "nothing journaled", steps: [], cloneExists: false, sourceRefusing: false, outcome: "not_started", decision: /before it sent CREATE DATABASE/ },
    { name: "disallowed only: the source accepts connections again", steps: ["disallowed"], cloneExists: false, sourceRefusing: true, outcome: "not_started", decision: /allowed connections/ },
    { name: "sent, and the clone exists: kept", steps: ["disallowed", "creating"], cloneExists: true, sourceRefusing: true, outcome: "complete", decision: /created completely/ },
    { name: "sent, and nothing was made", steps: ["creating"], cloneExists: false, sourceRefusing: false, outcome: "absent", decision: /left no database/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const source = uniqueName("rcl");
      const cloneName = `${source}_backup_20260101_000000`;
      await create(source, !c.sourceRefusing);
      if (c.cloneExists) await create(cloneName);
      const detail = { disallowed: { source }, creating: { source, cloneName }, created: { source, cloneName } };
      const r = await reconcileClone(
        c.steps.map((s) => ({ step: `clone:${s}`, detail: detail[s] })),
        { target: targetFor(source), waitMs: 5_000 },
      );
      expect(r.outcome, r.decisions.join("; ")).toBe(c.outcome);
      expect(r.decisions.join("; ")).toMatch(c.decision);
      expect((await flags(source))[source]).toBe(true);
      expect(source in (await flags(source))).toBe(true);
      if (c.cloneExists) expect(r.sizeBytes).toBeGreaterThan(0);
    });
  }
});

describe("reconcileStaging", () => {
  it("drops the staging copies the run made, and keeps what is not provably one", async () => {
    const live = uniqueName("rst");
    const staging = `${live}_staging_20260101_000000`;
    const recorded = `${live}_staging_20260101_000001`;
    const odd = `${live}_copy`;
    for (const n of [live, staging, recorded, odd]) await create(n);
    const r = await reconcileStaging(
      [
        { step: "rollback:staging", detail: { live, staging, source: "dump", from: "/x.dump" } },
        { step: "restore:create_db", detail: { newDb: staging } },
        { step: "rollback:staging", detail: { live, staging: recorded, source: "clone", from: "c" } },
        { step: "restore:create_db", detail: { newDb: odd } },
        { step: "restore:create_db", detail: { newDb: live } },
        { step: "rollback:drop_staging", detail: { live, staging: "Not A Name" } },
      ],
      { target: targetFor(live), recordedBackups: new Set([recorded]), waitMs: 5_000 },
    );
    const text = r.decisions.join("; ");
    expect(text).toContain(`dropped the staging database ${staging}`);
    expect(text).toContain(`kept the database ${recorded}: a backup row refers to it`);
    expect(text).toContain(`kept the database ${odd}: it is not named like a staging database`);
    expect(text).toContain(`kept the database ${live}: it is the live database`);
    expect(text).toMatch(/rollback:drop_staging has a malformed detail/);
    expect(Object.keys(await flags(live)).sort()).toEqual([live, odd, recorded].sort());
  });
});
