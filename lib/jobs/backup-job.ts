import fs from "node:fs/promises";
import path from "node:path";
import { emitAppEvent } from "@/lib/events/emit";
import type { AppView } from "@/lib/db/queries/apps";
import { getAppById, getAppTarget } from "@/lib/db/queries/apps";
import {
  finishBackup,
  insertBackup,
  lastDumpBytes,
  listForRetention,
  markBackupDeleted,
  nameTaken,
} from "@/lib/db/queries/backups";
import { env } from "@/lib/env";
import { formatBytes } from "@/lib/format";
import { cloneDbName, dumpFileName, validateLabel } from "@/lib/ops/backup-names";
import { databaseExists } from "@/lib/ops/catalog";
import { captureIdentity, fingerprintDatabase, withFingerprintedSnapshot } from "@/lib/ops/backup-identity";
import { cloneDatabase, listSessions } from "@/lib/ops/clone";
import { deleteDumpFile, dropCloneBackup } from "@/lib/ops/delete-backup";
import { dumpDatabase } from "@/lib/ops/dump";
import { OpError } from "@/lib/ops/errors";
import { storedFingerprint } from "@/lib/ops/fidelity";
import { resolveInside } from "@/lib/ops/paths";
import { readCurrentRelease } from "@/lib/ops/releases";
import { describeBlockers, dumpPreflight } from "@/lib/ops/restorability";
import { planRetention, planScheduledRetention } from "@/lib/ops/retention";
import { DEFAULT_SCHEDULED_RETENTION } from "@/lib/validation/schedules";
import { captureDbStats } from "@/lib/ops/server-backups";
import { probeServer } from "@/lib/ops/server-info";
import type { TargetDb } from "@/lib/ops/target";
import type { Role } from "@/lib/auth/roles";
import { backupJobSteps } from "./backup-steps";
import { startJob, type JobBody, type JobContext } from "./runner";

export interface BackupRequest {
  app: AppView;
  method?: "dump" | "clone";
  label?: string;
  automatic?: boolean;
  /** Started by a schedule (lib/jobs/schedules.ts): kind "scheduled", pruned by the app's scheduled retention. */
  scheduled?: boolean;
  forRelease?: string;
  endSessions?: boolean;
  actor: string;
  /** The role the backup was asked for with: retention acts with it (lib/ops/retention.ts). Unknown counts as below admin. */
  actorRole?: Role;
}

type Kind = "automatic" | "manual" | "named" | "scheduled";

/**
 * Starts a backup job. Everything that can be checked without touching the database server is checked
 * here, before the job exists: a bad label or a name clash is an answer, not a failed job.
 */
/**
 * Free space a new dump needs, roughly: half again the app's last dump in this format (the database may have
 * grown), or, with none yet, the database's size — a custom-format dump is often 20–30× smaller than that.
 */
async function dumpSizeEstimate(appId: number, format: "custom" | "plain" | "directory", dbSizeBytes: number): Promise<number> {
  const last = await lastDumpBytes(appId, format);
  return last ? Math.ceil(last * 1.5) : dbSizeBytes;
}

export async function startBackup(req: BackupRequest) {
  const { app } = req;
  const method = req.method ?? app.defaultMethod;
  const kind: Kind = req.label ? "named" : req.scheduled ? "scheduled" : req.automatic ? "automatic" : "manual";
  if (req.label) {
    validateLabel(req.label);
    if (method === "dump") {
      const fileName = dumpFileName("named", app.dumpFormat, { now: new Date(), label: req.label });
      if ((await nameTaken(app.id, "dump", fileName)) || (await exists(path.join(app.backupsDir, fileName)))) {
        throw new OpError(
          "backup_exists",
          `A backup named ${fileName} already exists for ${app.slug}. Choose another name, or delete the old backup first.`,
        );
      }
    }
  }
  if (method === "clone" && !req.endSessions) {
    // Say it now, with the count, rather than start a job that will fail: the operator can stop the app
    // or tick "end sessions".
    const target = await getAppTarget(app.id);
    const { count } = await listSessions(target, target.database);
    if (count > 0) {
      throw new OpError(
        "db_busy",
        `database "${target.database}" is being accessed by ${count} other session${count === 1 ? "" : "s"}; ` +
          `stop the app or choose "End the app's open sessions" to clone anyway.`,
        { sessions: count },
      );
    }
  }
  const params = { method, kind, label: req.label ?? null, forRelease: req.forRelease ?? null, endSessions: !!req.endSessions, actorRole: req.actorRole ?? null };
  return startJob({ appId: app.id, appSlug: app.slug, type: "backup", params, actor: req.actor });
}

/** The worker's body for "backup" jobs: the request rebuilt from the job's params. */
export const runBackupJob: JobBody = async (ctx, job) => {
  const app = await getAppById(job.appId);
  if (!app) throw new OpError("not_found", `App #${job.appId} no longer exists.`);
  const p = job.params as { method: "dump" | "clone"; kind: Kind; label: string | null; forRelease: string | null; endSessions: boolean; actorRole?: Role | null };
  const req: BackupRequest = {
    app,
    method: p.method,
    label: p.label ?? undefined,
    forRelease: p.forRelease ?? undefined,
    endSessions: p.endSessions,
    actor: job.actor,
    // Retention acts with the role the backup was asked for with; a missing one counts as below admin.
    actorRole: p.actorRole ?? undefined,
  };
  try {
    return await runBackup(ctx, req, p.method, p.kind);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    await emitAppEvent({ appId: app.id, kind: "backup.failed", summary: `Backup of ${app.slug} (${p.method}, ${p.kind}, job #${ctx.jobId}) failed: ${why}`, details: { method: p.method, backupKind: p.kind }, jobId: ctx.jobId });
    throw e;
  }
};

async function runBackup(ctx: JobContext, req: BackupRequest, method: "dump" | "clone", kind: Kind) {
  const { app } = req;
  ctx.phase("connecting");
  const target = await getAppTarget(app.id);
  const server = await probeServer(target, env().PG_BIN);
  ctx.log(`PostgreSQL ${server.version}; database ${target.database} is ${formatBytes(server.dbSizeBytes)}`);
  const release = app.deployRoot ? await readCurrentRelease(app.deployRoot) : null;
  const stats = await captureDbStats(target, target.database).catch(() => null);
  const now = new Date();

  const name =
    method === "dump"
      ? await freeDumpName(app, kind, now, req.label)
      : await cloneDbName(target.database, now, async (n) => (await nameTaken(app.id, "clone", n)) || (await databaseExists(target, n)));

  if (method === "dump") await fs.mkdir(app.backupsDir, { recursive: true, mode: 0o750 });
  const backupId = await insertBackup({
    appId: app.id,
    name,
    method,
    kind,
    format: method === "dump" ? app.dumpFormat : null,
    label: req.label ?? null,
    createdBy: req.actor,
    release,
    forRelease: req.forRelease ?? null,
    jobId: ctx.jobId,
    stats,
  });
  await backupJobSteps.started(ctx, { backupId, method, name, dir: method === "dump" ? app.backupsDir : null, source: target.database });
  const started = Date.now();
  try {
    // The database's own properties (owner, locale, settings, ACL): nothing in a dump or a clone carries them.
    const identity = await captureIdentity(target, target.database);
    if (method === "dump") {
      // Refused here (before pg_dump) when row-level security would cut the dump short; what this role
      // could not re-create on restore is recorded on the backup, and the plan refuses it.
      ctx.phase("checking");
      const restoreBlockers = await dumpPreflight(target);
      if (restoreBlockers.length) ctx.log(`WARNING: "${target.user}" could not restore this dump: ${describeBlockers(restoreBlockers)}`);
      const estimatedBytes = await dumpSizeEstimate(app.id, app.dumpFormat, server.dbSizeBytes);
      const { result: r, fingerprint } = await withFingerprintedSnapshot(target, ctx, (snapshot) =>
        dumpDatabase({
          target,
          pgDump: server.pgDumpPath,
          pgRestore: server.pgRestorePath,
          dir: app.backupsDir,
          fileName: name,
          format: app.dumpFormat,
          ctx,
          estimatedBytes,
          snapshot,
        }),
      );
      await finishBackup(backupId, {
        status: "ok",
        sizeBytes: r.sizeBytes,
        sha256: r.sha256,
        verifiedAt: r.verifiedAt,
        durationMs: Date.now() - started,
        identity,
        fingerprint,
        restoreBlockers,
      });
      ctx.log(`wrote ${name}: ${formatBytes(r.sizeBytes)}, verified, sha256 ${r.sha256.slice(0, 12)}…`);
    } else {
      ctx.phase("cloning");
      const strategy = server.supportsFileCopy ? app.cloneStrategy : "wal_log";
      const r = await cloneDatabase({ target, source: target.database, cloneName: name, strategy, endSessions: !!req.endSessions, ctx });
      // Nobody writes to the clone: its fingerprint is the source's at the moment of the copy.
      ctx.phase("fingerprinting");
      const fingerprint = storedFingerprint(await fingerprintDatabase(target, name, { rows: true }));
      // CREATE DATABASE … TEMPLATE is atomic: a clone that exists is complete, so it counts as verified.
      // A clone is restored with CREATE DATABASE … TEMPLATE: nothing is re-created, so nothing blocks it.
      await finishBackup(backupId, { status: "ok", sizeBytes: r.sizeBytes, verifiedAt: new Date(), durationMs: Date.now() - started, identity, fingerprint, restoreBlockers: [] });
      ctx.log(`created database ${name}: ${formatBytes(r.sizeBytes)}`);
    }
  } catch (e) {
    await finishBackup(backupId, { status: "failed", error: failureText(e), durationMs: Date.now() - started });
    throw e;
  }
  const pruned = kind === "automatic" || kind === "scheduled" ? await applyRetention(ctx, app, target, req.actorRole, kind) : [];
  ctx.phase("done");
  return { backupId, name, method, pruned };
}

/**
 * Automatic backups: the newest N per method; scheduled ones: the app's scheduled retention (newest N or GFS).
 * lib/ops/retention.ts says which are never pruned.
 */
export async function applyRetention(ctx: JobContext, app: AppView, target: TargetDb, role: Role | undefined, kind: "automatic" | "scheduled" = "automatic"): Promise<string[]> {
  const rows = await listForRetention(app.id);
  const opts = { triggeredByAdmin: role === "admin" };
  const prune = new Set(
    kind === "automatic" ? planRetention(rows, app.retention, opts) : planScheduledRetention(rows, app.scheduledRetention ?? DEFAULT_SCHEDULED_RETENTION, opts),
  );
  const pruned: string[] = [];
  for (const row of rows.filter((r) => prune.has(r.id))) {
    await backupJobSteps.retentionDelete(ctx, { backupId: row.id, name: row.name, method: row.method });
    try {
      if (row.method === "dump") await deleteDumpFile(app.backupsDir, row.name);
      else await dropCloneBackup(target, target.database, row.name);
      await markBackupDeleted(app.id, row.id);
      pruned.push(row.name);
      ctx.log(`retention: removed ${row.name}`);
    } catch (e) {
      ctx.log(`retention: could not remove ${row.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return pruned;
}

/**
 * The seed's names carry the unix second; two backups within one second (a tiny database) take the next
 * free second rather than fail. Named backups keep their label and were checked for clashes up front.
 */
async function freeDumpName(app: AppView, kind: Kind, now: Date, label?: string): Promise<string> {
  for (let i = 0; i < 60; i++) {
    const name = dumpFileName(kind, app.dumpFormat, { now: new Date(now.getTime() + i * 1000), label });
    if (!(await nameTaken(app.id, "dump", name)) && !(await exists(path.join(app.backupsDir, name)))) return name;
    if (kind === "named") break;
  }
  throw new OpError("backup_exists", `A backup with this name already exists for ${app.slug}. Choose another name.`);
}

function failureText(e: unknown): string {
  if (e instanceof OpError) {
    const tail = typeof e.details?.stderrTail === "string" ? `\n${e.details.stderrTail.trim().split("\n").slice(-5).join("\n")}` : "";
    return e.message + tail;
  }
  return e instanceof Error ? e.message : String(e);
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

export async function partialPath(dir: string, fileName: string): Promise<string> {
  return resolveInside(dir, `${fileName}.partial`, "backup file");
}
