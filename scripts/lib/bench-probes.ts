// bench:rollback's probes: processes of their own (scripts/lib/bench-probe.ts), so nothing in the bench's process
// can delay them; several per driver, like a small pool, their 10 ms ticks staggered so that a window shorter than
// a tick still meets one of them.
import path from "node:path";
import { spawnStreaming, type StreamingProcess } from "@/lib/ops/exec";
import type { Driver, ProbeConfig } from "./bench-probe";

export type ProbeSummary = {
  downtimeMs: number;
  worstAt: number | null;
  bad: number;
  /** Queries that got an error (bad ones that were merely slow are not counted). */
  failed: number;
  slowestMs: number;
  /** When the slowest query was sent (epoch ms). */
  slowestAt: number | null;
  total: number;
  errors: string[];
};

export interface ProbeTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  pooled: boolean;
}

const PROBE_SCRIPT = path.resolve(import.meta.dirname, "bench-probe.ts");

/** Starts `perDriver` probes of each driver; ready once each has had a good answer; stop() gives each driver's worst. */
export function startProbes(target: ProbeTarget, drivers: Driver[], opts: { psql: string; perDriver: number; tickMs: number }) {
  const n = drivers.length * opts.perDriver;
  const probes = drivers.flatMap((driver, d) =>
    Array.from({ length: opts.perDriver }, (_, i) => {
      const config: ProbeConfig = { driver, ...target, psql: opts.psql, offsetMs: ((d * opts.perDriver + i) * opts.tickMs) / n };
      const p: StreamingProcess = spawnStreaming(process.execPath, ["--import", "tsx", PROBE_SCRIPT], { stdin: true, stdout: true });
      p.stdin!.write(JSON.stringify(config) + "\n");
      let out = "";
      let markReady: () => void;
      const ready = new Promise<void>((r) => (markReady = r));
      p.stdout!.setEncoding("utf8").on("data", (c: string) => {
        out += c;
        if (out.includes("ready\n")) markReady();
      });
      return { driver, p, ready, out: () => out };
    }),
  );
  return {
    // A probe that never gets a good answer (a driver refused by PgBouncer, say) must not hang the bench.
    ready: Promise.race([
      Promise.all(probes.map((x) => x.ready)).then(() => {}),
      new Promise<never>((_, reject) =>
        setTimeout(() => {
          for (const x of probes) x.p.kill();
          reject(new Error(`probes not ready after 120 s: ${probes.map((x) => `${x.driver}: ${x.out().trim() || "nothing"}`).join("; ")}`));
        }, 120_000).unref(),
      ),
    ]),
    async stop(): Promise<Map<Driver, ProbeSummary>> {
      // Let them see the app's steady state for a moment after the operation.
      await new Promise((r) => setTimeout(r, 300));
      for (const x of probes) x.p.kill();
      const done = await Promise.all(probes.map((x) => x.p.done));
      const byDriver = new Map<Driver, ProbeSummary[]>();
      probes.forEach((x, i) => {
        const line = x.out().split("\n").find((l) => l.startsWith("{"));
        if (!line) throw new Error(`a ${x.driver} probe printed no summary:\n${x.out()}${done[i]!.stderrTail}`);
        byDriver.set(x.driver, [...(byDriver.get(x.driver) ?? []), JSON.parse(line) as ProbeSummary]);
      });
      return new Map([...byDriver].map(([driver, all]) => [driver, worstOf(all)]));
    },
  };
}

/** The worst any probe of a pool saw: the longest a request on it could have waited. */
export function worstOf(all: ProbeSummary[]): ProbeSummary {
  const worst = all.reduce((a, b) => (b.downtimeMs > a.downtimeMs ? b : a));
  const slow = all.reduce((a, b) => (b.slowestMs > a.slowestMs ? b : a));
  return {
    downtimeMs: worst.downtimeMs,
    worstAt: worst.worstAt,
    bad: all.reduce((s, a) => s + a.bad, 0),
    failed: all.reduce((s, a) => s + a.failed, 0),
    slowestMs: slow.slowestMs,
    slowestAt: slow.slowestAt,
    total: all.reduce((s, a) => s + a.total, 0),
    errors: [...new Set(all.flatMap((a) => a.errors))],
  };
}
