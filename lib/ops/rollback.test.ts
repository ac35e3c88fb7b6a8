import { describe, expect, it } from "vitest";
import { dataLossWindow, planRollback, type PlanBackup, type RollbackPlanInput } from "./rollback-plan";

const now = new Date("2026-11-20T12:00:00Z");
const app: RollbackPlanInput["app"] = {
  slug: "shop",
  dbName: "shop",
  stopCommand: ["docker", "compose", "stop"],
  startCommand: ["docker", "compose", "up", "-d"],
  healthUrl: "http://127.0.0.1:3000/health",
  healthTimeoutSec: 30,
};
const backup: PlanBackup = {
  id: 7,
  name: "db_backup_1763630000.dump",
  method: "dump",
  createdAt: new Date("2026-11-20T09:00:00Z"),
  sizeBytes: 1_000_000,
  stats: { xactCommit: 1000, tupInserted: 500, tupUpdated: 100, tupDeleted: 10 },
  release: "r2",
};
const liveNow = {
  stats: { xactCommit: 1500, tupInserted: 800, tupUpdated: 150, tupDeleted: 10 },
  statsReset: null,
  serverStartedAt: new Date("2026-11-01T00:00:00Z"),
};

describe("planRollback", () => {
  it("lists every step in order for code + database, with the CLI equivalent", () => {
    const p = planRollback({ kind: "rollback", app, currentRelease: "r3", targetRelease: "r2", backup, liveNow, now });
    expect(p.steps.map((s) => s.key)).toEqual(["space", "staging", "check", "properties", "stop", "swap", "switch", "start", "health"]);
    expect(p.steps[1]!.text).toContain("pg_restore");
    expect(p.steps[5]!.text).toMatch(/one transaction rename shop → shop_pre_rollback_<time> and shop_staging_<time> → shop/);
    expect(p.steps[6]!.text).toBe("Point current at releases/r2 (now releases/r3), atomically.");
    expect(p.cli).toBe("npm run lifeboat -- rollback shop --release r2 --restore-db --backup 7");
    expect(p.title).toBe("Roll shop back to release r2 with the database from db_backup_1763630000.dump");
  });

  it("code only: no database steps, and it warns that the old code meets the new schema", () => {
    const p = planRollback({ kind: "rollback", app, currentRelease: "r3", targetRelease: "r2", now });
    expect(p.steps.map((s) => s.key)).toEqual(["stop", "switch", "start", "health"]);
    expect(p.dataLoss).toBeNull();
    expect(p.warnings.join(" ")).toMatch(/Code only/);
    expect(p.cli).toBe("npm run lifeboat -- rollback shop --release r2");
  });

  it("restore from a clone, switch, undo: their own steps and commands", () => {
    const clone = { ...backup, method: "clone" as const, name: "shop_backup_20261120_090000" };
    const r = planRollback({ kind: "restore", app, currentRelease: "r3", targetRelease: null, backup: clone, liveNow, now });
    expect(r.steps.map((s) => s.key)).toEqual(["space", "staging", "check", "properties", "stop", "swap", "start", "health"]);
    expect(r.steps[1]!.text).toMatch(/TEMPLATE.*clone stays a backup/);
    expect(r.cli).toBe("npm run lifeboat -- restore shop --backup 7");
    const s = planRollback({ kind: "switch_release", app, currentRelease: "r2", targetRelease: "r3", now });
    expect(s.steps.map((x) => x.key)).toEqual(["stop", "switch", "start", "health"]);
    expect(s.cli).toBe("npm run lifeboat -- switch-release shop --release r3");
    const u = planRollback({ kind: "undo", app, currentRelease: "r2", targetRelease: "r3", undo: { jobId: 12, putBack: "shop_pre_rollback_20261120_100000" }, now });
    expect(u.steps.map((x) => x.key)).toEqual(["stop", "swap", "switch", "start", "health"]);
    expect(u.steps[1]!.text).toContain("shop_pre_rollback_20261120_100000 → shop");
    expect(u.cli).toBe("npm run lifeboat -- undo shop --job 12");
  });

  it("says what happens without stop/start commands or a health URL", () => {
    const bare = { ...app, stopCommand: null, startCommand: null, healthUrl: null };
    const p = planRollback({ kind: "rollback", app: bare, currentRelease: "r3", targetRelease: "r2", now });
    expect(p.steps.find((s) => s.key === "stop")!.text).toMatch(/no stop command/);
    expect(p.steps.find((s) => s.key === "start")!.text).toMatch(/start it yourself/);
    expect(p.steps.find((s) => s.key === "health")!.text).toMatch(/no health URL/);
    expect(p.warnings.join(" ")).toMatch(/No start command/);
  });
});

describe("planRollback with PgBouncer", () => {
  it("says the swap pauses PgBouncer first, and only when a console is configured", () => {
    const swap = (a: RollbackPlanInput["app"]) => planRollback({ kind: "restore", app: a, currentRelease: "r3", targetRelease: null, backup, liveNow, now }).steps.find((s) => s.key === "swap")!.text;
    expect(swap({ ...app, pgbouncerHost: "10.0.0.5" })).toMatch(/^PgBouncer \(10\.0\.0\.5\) pauses shop first/);
    expect(swap(app)).not.toContain("PgBouncer");
  });
});

describe("dataLossWindow", () => {
  it("gives the backup's age and the writes since, from the counters", () => {
    const w = dataLossWindow(backup, liveNow, null, now, "shop_pre_rollback_<time>");
    expect(w.backupAgeMs).toBe(3 * 3600_000);
    expect(w.writesSince).toEqual({ xactCommit: 500, tupInserted: 300, tupUpdated: 50, tupDeleted: 0, lowerBound: false });
    expect(w.text).toBe(
      "The backup db_backup_1763630000.dump is 3h 0m old. Since then about 300 rows were inserted, 50 updated and 0 deleted " +
        "(500 transactions committed, reads included). Those changes will not be in the restored database; they stay in shop_pre_rollback_<time>, which is kept.",
    );
  });

  it("says unknown rather than guess", () => {
    const cases: [string, Parameters<typeof dataLossWindow>][] = [
      ["no counters were recorded", [{ ...backup, stats: null }, liveNow, null, now, "x"]],
      ["could not be read", [backup, null, null, now, "x"]],
      ["replaced by a rollback or restore", [backup, liveNow, new Date("2026-11-20T10:00:00Z"), now, "x"]],
      ["replaced by a rollback or restore", [backup, liveNow, backup.createdAt, now, "x"]],
      ["statistics were reset", [backup, { ...liveNow, statsReset: new Date("2026-11-20T10:00:00Z") }, null, now, "x"]],
      ["went backwards", [backup, { ...liveNow, stats: { ...liveNow.stats, tupDeleted: 3 } }, null, now, "x"]],
    ];
    for (const [why, args] of cases) {
      const w = dataLossWindow(...args);
      expect(w.writesSince, why).toBeNull();
      expect(w.text).toContain("Writes since then: unknown");
      expect(w.text).toContain(why);
    }
  });

  it("after a server restart the count is only a lower bound, and says so", () => {
    const w = dataLossWindow(backup, { ...liveNow, serverStartedAt: new Date("2026-11-20T10:00:00Z") }, null, now, "x");
    expect(w.writesSince?.lowerBound).toBe(true);
    expect(w.text).toMatch(/at least 300 rows/);
    expect(w.text).toMatch(/may have been more/);
  });

  it("nothing written since: says so", () => {
    const w = dataLossWindow(backup, { ...liveNow, stats: backup.stats! }, null, now, "x");
    expect(w.text).toMatch(/Since then nothing was written\.$/);
  });
});
