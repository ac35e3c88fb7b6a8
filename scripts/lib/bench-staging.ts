// bench:rollback's staging-restore comparison, like with like: Lifeboat's restore into a new database and a bare
// `pg_restore -j N` of the same dump, taken in turns (bare, Lifeboat, bare, Lifeboat…) with nothing else running
// (no probes, no app), so both see the same machine. Both include CREATE DATABASE. Lifeboat's restore adds the
// checksum gate (the file's sha256 before any tool reads it) and its own pg_restore arguments; its staging check
// (every table read in full, rows counted: fingerprintDatabase) is timed separately, since a bare restore has none.
import postgres from "postgres";
import type { OpContext } from "@/lib/ops/context";
import type { DumpFormat } from "@/lib/ops/dump";
import { fingerprintDatabase } from "@/lib/ops/backup-identity";
import { run } from "@/lib/ops/exec";
import { restoreDumpToNewDatabase } from "@/lib/ops/restore";
import { pgEnv, type TargetDb } from "@/lib/ops/target";

export interface StagingCompare {
  jobs: number;
  /** Medians over the runs, in ms. */
  bareMs: number;
  lifeboatMs: number;
  checkMs: number;
  /** Lifeboat's restore by phase (medians). */
  phases: Map<string, number>;
}

export async function compareStagingRestore(o: {
  admin: postgres.Sql;
  target: TargetDb;
  file: string;
  sha256: string;
  format: DumpFormat;
  pgRestore: string;
  psql: string;
  jobs: number;
  runs: number;
  say: (s: string) => void;
}): Promise<StagingCompare> {
  const bare: number[] = [];
  const lifeboat: number[] = [];
  const check: number[] = [];
  const phaseRuns: Map<string, number>[] = [];
  for (let i = 1; i <= o.runs; i++) {
    const bareDb = `${o.target.database}_bare_restore`;
    await o.admin`CHECKPOINT`;
    const b0 = performance.now();
    await o.admin.unsafe(`CREATE DATABASE ${bareDb} TEMPLATE template0`);
    await run(o.pgRestore, ["--no-password", "--no-owner", "-j", String(o.jobs), "-d", "", o.file], { env: pgEnv(o.target, bareDb) });
    bare.push(performance.now() - b0);
    await o.admin.unsafe(`DROP DATABASE ${bareDb}`);

    const staging = `${o.target.database}_staging_cmp`;
    await o.admin`CHECKPOINT`;
    const phases = new Map<string, number>();
    let name = "start";
    let at = performance.now();
    const ctx: OpContext = {
      log: () => {},
      progress: () => {},
      step: async () => {},
      phase: (n) => {
        const now = performance.now();
        phases.set(name, (phases.get(name) ?? 0) + now - at);
        name = n;
        at = now;
      },
    };
    const l0 = performance.now();
    await restoreDumpToNewDatabase({ target: o.target, pgRestore: o.pgRestore, psql: o.psql, file: o.file, sha256: o.sha256, format: o.format, newDb: staging, ctx, jobs: o.jobs });
    ctx.phase("end");
    lifeboat.push(performance.now() - l0);
    phases.delete("start");
    phaseRuns.push(phases);
    const c0 = performance.now();
    await fingerprintDatabase(o.target, staging, { rows: true });
    check.push(performance.now() - c0);
    await o.admin.unsafe(`DROP DATABASE ${staging}`);
    o.say(`  staging restore ${i}/${o.runs}: bare ${secs(bare.at(-1)!)}, Lifeboat ${secs(lifeboat.at(-1)!)} (${[...phases].map(([n, v]) => `${n} ${secs(v)}`).join(" · ")}), staging check ${secs(check.at(-1)!)}`);
  }
  const phases = new Map<string, number>();
  for (const n of phaseRuns[0]!.keys()) phases.set(n, median(phaseRuns.map((p) => p.get(n) ?? 0)));
  return { jobs: o.jobs, bareMs: median(bare), lifeboatMs: median(lifeboat), checkMs: median(check), phases };
}

export function stagingLine(size: string, c: StagingCompare): string {
  const ratio = c.lifeboatMs / c.bareMs;
  return (
    `${size}: staging restore ${secs(c.lifeboatMs)} vs bare CREATE DATABASE + pg_restore -j ${c.jobs} ${secs(c.bareMs)} = ${ratio.toFixed(2)}× ` +
    `(goal ≤ 1.1×: ${ratio <= 1.1 ? "met" : "NOT met"}; ${[...c.phases].map(([n, v]) => `${n} ${secs(v)}`).join(" · ")}); ` +
    `then the staging check reads every row: ${secs(c.checkMs)} more = ${((c.lifeboatMs + c.checkMs) / c.bareMs).toFixed(2)}× with it`
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

const secs = (x: number) => `${(x / 1000).toFixed(2)} s`;
