import { formatAge, formatBytes } from "@/lib/format";
import type { DbStats } from "./server-backups";

// What a rollback, restore, release switch or undo will do, in words, before it runs: the steps and the
// data-loss window. Pure; the sequence itself is in lib/ops/rollback.ts.

export type RollbackKind = "rollback" | "restore" | "switch_release" | "undo";

// ─── the default target (pure) ──────────────────────────────────────────────────────────────────────────────

export interface TargetCandidate {
  name: string;
  complete: boolean;
  isCurrent: boolean;
  /** Null for a valid release name; see releaseNameProblem in lib/ops/releases.ts. */
  invalid: string | null;
}

/**
 * The release a rollback goes back to when none is named: the newest complete release with a valid name
 * that is older than current (releases come newest first, as listReleases gives them). None when current is
 * unknown (not a release, or pointing outside releases/): a rollback from an unknown state is not guessed.
 * Invalid and incomplete releases are skipped, never chosen, so they cannot block a rollback.
 */
export function defaultRollbackTarget(releases: readonly TargetCandidate[], current: string | null, avoid: (name: string) => boolean = () => false): string | null {
  if (!current) return null;
  const i = releases.findIndex((r) => r.name === current);
  const older = i >= 0 ? releases.slice(i + 1) : releases;
  // `avoid`: marked bad, or its last health check failed (lib/ops/release-verdicts.ts) — never a default.
  return older.find((r) => r.complete && r.invalid === null && !r.isCurrent && r.name !== current && !avoid(r.name))?.name ?? null;
}

// ─── the plan (pure) ──────────────────────────────────────────────────────────────────────────────────────

export interface PlanBackup {
  id: number;
  name: string;
  method: "dump" | "clone";
  createdAt: Date;
  sizeBytes: number | null;
  /** pg_stat_database counters captured when the backup was taken. */
  stats: DbStats | null;
  release: string | null;
}

export interface LiveStats {
  stats: DbStats;
  statsReset: Date | null;
  serverStartedAt: Date;
}

export interface RollbackPlanInput {
  kind: RollbackKind;
  app: {
    slug: string;
    dbName: string;
    stopCommand: string[] | null;
    startCommand: string[] | null;
    healthUrl: string | null;
    healthTimeoutSec: number;
    /** Set when the app reaches its database through PgBouncer and its admin console is configured. */
    pgbouncerHost?: string | null;
  };
  currentRelease: string | null;
  /** The release `current` will point at; null when the code does not change. */
  targetRelease: string | null;
  /** The backup restored (rollback with database, restore). */
  backup?: PlanBackup | null;
  /** Undo: the database put back in place (a pre-rollback database) and the job undone. */
  undo?: { jobId: number; putBack: string | null } | null;
  /** The live database's counters now; null when they could not be read. */
  liveNow?: LiveStats | null;
  /** When the live database was last replaced by a swap (its counters then started over); null if never. */
  lastSwapAt?: Date | null;
  liveSizeBytes?: number | null;
  /** What the restore gives back beyond the rows (lib/ops/restore-fidelity.ts). */
  fidelity?: PlanFidelity | null;
  now: Date;
}

export interface PlanFidelity {
  /** Live database now → after the restore. */
  diffs: { label: string; from: string; to: string }[];
  notKept: { label: string; reason: string; fix: string }[];
  effects: string[];
  /** Non-empty: the restore cannot run as this role. */
  blockers: string[];
  /** A fingerprint was recorded with the backup, so staging is compared with it. */
  compared: boolean;
}

export interface PlanStep {
  key: "space" | "staging" | "check" | "properties" | "stop" | "swap" | "switch" | "start" | "health";
  text: string;
}

export interface DataLossWindow {
  backupName: string;
  backupTakenAt: Date;
  backupAgeMs: number;
  /** Writes since the backup from pg_stat_database; null when unknown (see `text`). */
  writesSince: (DbStats & { lowerBound: boolean }) | null;
  text: string;
}

export interface RollbackPlan {
  kind: RollbackKind;
  title: string;
  steps: PlanStep[];
  dataLoss: DataLossWindow | null;
  warnings: string[];
  /** Database properties that change, what cannot be kept, known effects, blockers; null without a database restore. */
  properties: PlanFidelity | null;
  /** The same operation from a shell on the Lifeboat host. */
  cli: string;
}

/** The ordered steps an operation will run, in words for the dialog and the CLI. Pure. */
export function planRollback(input: RollbackPlanInput): RollbackPlan {
  const { app, kind } = input;
  const db = app.dbName;
  const pre = `${db}_pre_rollback_<time>`;
  const staging = `${db}_staging_<time>`;
  const restoresDb = !!input.backup || !!input.undo?.putBack;
  const switchesCode = !!input.targetRelease && input.targetRelease !== input.currentRelease;
  const steps: PlanStep[] = [];
  const warnings: string[] = [];
  // lib/ops/swap.ts: PAUSE → swap → RESUME; a PAUSE that cannot complete in time changes nothing.
  const pause = app.pgbouncerHost
    ? `PgBouncer (${app.pgbouncerHost}) pauses ${db} first: running transactions finish, new queries wait instead of failing; if the pause cannot complete, nothing is swapped. `
    : "";

  if (input.backup) {
    const b = input.backup;
    const size = input.liveSizeBytes ?? b.sizeBytes;
    steps.push({ key: "space", text: `Check free space for a new copy of the database${size ? ` (about ${formatBytes(size)})` : ""}.` });
    steps.push({
      key: "staging",
      text:
        b.method === "dump"
          ? `Restore ${b.name} into a new database ${staging} with pg_restore, while the app keeps running. Any error stops here.`
          : `Copy the clone ${b.name} into a new database ${staging} (CREATE DATABASE … TEMPLATE), while the app keeps running. The clone stays a backup.`,
    });
    steps.push({
      key: "check",
      text: input.fidelity?.compared
        ? `Check ${staging} against the fingerprint taken with the backup: schema, owners, grants and the row count of every table. Any difference not named below stops here: ${staging} is dropped and nothing else changes.`
        : `Check ${staging}: every table readable, row counts. If this fails, ${staging} is dropped and nothing else changes.`,
    });
    const f = input.fidelity;
    steps.push({
      key: "properties",
      text:
        `Give ${staging} the database's own properties${f && f.diffs.length === 0 ? " (the same as the live database's now)" : ""}: encoding and locale, owner, comment, connection limit, privileges, ` +
        `ALTER DATABASE … SET and ALTER ROLE … IN DATABASE … SET settings, then read them back.`,
    });
  }
  steps.push({
    key: "stop",
    text: app.stopCommand?.length
      ? `Stop the app: ${app.stopCommand.join(" ")}`
      : "Stop the app: no stop command is configured, so the app keeps running" + (restoresDb ? " (its database sessions are ended at the swap)." : "."),
  });
  if (input.backup) {
    steps.push({
      key: "swap",
      text:
        pause +
        `Swap the databases: refuse new connections to ${db} and end its sessions, then in one transaction rename ${db} → ${pre} and ${staging} → ${db}. ` +
        `${pre} is kept as a pinned pre-rollback backup; nothing is dropped.`,
    });
  } else if (input.undo?.putBack) {
    steps.push({
      key: "swap",
      text:
        pause +
        `Swap the databases: refuse new connections to ${db} and end its sessions, then in one transaction rename ${db} → ${pre} and ${input.undo.putBack} → ${db}. ` +
        `${pre} is kept as a pinned pre-rollback backup, so this undo can itself be undone.`,
    });
  }
  if (switchesCode) {
    steps.push({ key: "switch", text: `Point current at releases/${input.targetRelease} (now releases/${input.currentRelease ?? "—"}), atomically.` });
  }
  steps.push({
    key: "start",
    text: app.startCommand?.length ? `Start the app: ${app.startCommand.join(" ")}` : "Start the app: no start command is configured; start it yourself.",
  });
  steps.push({
    key: "health",
    text: app.healthUrl
      ? `Health check: GET ${app.healthUrl} must answer 2xx within ${app.healthTimeoutSec} s, and ${db} must accept connections.`
      : `Health check: ${db} must accept connections (no health URL is configured).`,
  });

  if (!app.startCommand?.length && (switchesCode || restoresDb)) warnings.push("No start command is configured: Lifeboat cannot start the app; start it yourself afterwards.");
  if (!app.stopCommand?.length && switchesCode) warnings.push("No stop command is configured: the old code keeps running until the app is restarted.");
  if (kind === "rollback" && !input.backup) warnings.push("Code only: the older code will run against the current database, whose schema may be newer.");
  if (input.backup && input.targetRelease && input.backup.release && input.backup.release !== input.targetRelease) {
    warnings.push(`The backup was taken while release ${input.backup.release} was current, not ${input.targetRelease}.`);
  }
  if (input.undo) {
    warnings.push(`This undoes job #${input.undo.jobId}.`);
    if (input.undo.putBack) {
      warnings.push(`Whatever was written to ${db} since job #${input.undo.jobId} is not lost: that database is kept as a pre-rollback backup.`);
    }
  }
  if (restoresDb || switchesCode) warnings.push("If a step after the swap or switch fails, the job ends failed and Undo puts back the previous database and release.");

  const f = input.backup ? (input.fidelity ?? null) : null;
  if (f) {
    for (const b of f.blockers) warnings.unshift(`Cannot restore as this role: ${b}`);
    for (const d of f.diffs) warnings.push(`Database property changes — ${d.label}: ${d.from} → ${d.to}`);
    for (const n of f.notKept) warnings.push(`Not kept — ${n.label}: ${n.reason}. Fix: ${n.fix}.`);
    for (const e of f.effects) warnings.push(e);
  }

  const dataLoss = input.backup ? dataLossWindow(input.backup, input.liveNow ?? null, input.lastSwapAt ?? null, input.now, pre) : null;
  return { kind, title: planTitle(input, switchesCode), steps, dataLoss, warnings, properties: f, cli: cliCommand(input) };
}

/**
 * How much the restore loses: the backup's age, and what pg_stat_database says was written since. Says
 * "unknown" whenever the counters cannot be compared (none recorded, reset, database replaced since).
 */
export function dataLossWindow(backup: PlanBackup, liveNow: LiveStats | null, lastSwapAt: Date | null, now: Date, keptAs: string): DataLossWindow {
  const ageMs = Math.max(0, now.getTime() - backup.createdAt.getTime());
  const base = { backupName: backup.name, backupTakenAt: backup.createdAt, backupAgeMs: ageMs };
  const ageText = `The backup ${backup.name} is ${formatAge(backup.createdAt, now)} old.`;
  const unknown = (why: string): DataLossWindow => ({
    ...base,
    writesSince: null,
    text: `${ageText} Writes since then: unknown (${why}). Everything written since stays in ${keptAs}, which is kept.`,
  });
  if (!backup.stats) return unknown("no counters were recorded when the backup was taken");
  if (!liveNow) return unknown("the server's counters could not be read");
  if (lastSwapAt && lastSwapAt >= backup.createdAt) {
    return unknown("the live database was replaced by a rollback or restore since then (or this copy is the one it replaced), so the counters are another database's");
  }
  if (liveNow.statsReset && liveNow.statsReset > backup.createdAt) return unknown("the server's statistics were reset since then");
  const keys = ["xactCommit", "tupInserted", "tupUpdated", "tupDeleted"] as const;
  const diff = {} as DbStats;
  for (const k of keys) {
    diff[k] = liveNow.stats[k] - backup.stats[k];
    if (diff[k] < 0) return unknown("the counters went backwards: they were reset since then");
  }
  // A crash resets the counters without setting stats_reset: after a restart the difference is only a lower bound.
  const lowerBound = liveNow.serverStartedAt > backup.createdAt;
  const n = (v: number) => v.toLocaleString("en-US");
  const writes = diff.tupInserted + diff.tupUpdated + diff.tupDeleted;
  const what =
    writes === 0 && diff.xactCommit === 0
      ? "nothing was written"
      : `${lowerBound ? "at least " : "about "}${n(diff.tupInserted)} rows were inserted, ${n(diff.tupUpdated)} updated and ${n(diff.tupDeleted)} deleted ` +
        `(${n(diff.xactCommit)} transactions committed, reads included)`;
  const restart = lowerBound ? " The server restarted since the backup, and a crash would have reset its counters, so there may have been more." : "";
  const lost = writes > 0 ? ` Those changes will not be in the restored database; they stay in ${keptAs}, which is kept.` : "";
  return { ...base, writesSince: { ...diff, lowerBound }, text: `${ageText} Since then ${what}.${restart}${lost}` };
}

function planTitle(input: RollbackPlanInput, switchesCode: boolean): string {
  const { app } = input;
  switch (input.kind) {
    case "undo":
      return `Undo job #${input.undo?.jobId ?? "?"} on ${app.slug}`;
    case "restore":
      return `Restore ${app.dbName} from ${input.backup?.name ?? "a backup"}`;
    case "switch_release":
      return `Switch ${app.slug} to release ${input.targetRelease}`;
    case "rollback":
      return `Roll ${app.slug} back to ${switchesCode ? `release ${input.targetRelease}` : "the current release"}${input.backup ? ` with the database from ${input.backup.name}` : " (code only)"}`;
  }
}

function cliCommand(input: RollbackPlanInput): string {
  const base = `npm run lifeboat -- `;
  const slug = input.app.slug;
  switch (input.kind) {
    case "undo":
      return `${base}undo ${slug} --job ${input.undo?.jobId ?? "<job id>"}`;
    case "restore":
      return `${base}restore ${slug} --backup ${input.backup?.id ?? "<backup id>"}`;
    case "switch_release":
      return `${base}switch-release ${slug} --release ${input.targetRelease ?? "<release>"}`;
    case "rollback":
      return `${base}rollback ${slug} --release ${input.targetRelease ?? "<release>"}${input.backup ? ` --restore-db --backup ${input.backup.id}` : ""}`;
  }
}
