import "server-only";
import { and, desc, eq, ne, sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { apps, backups, type App } from "@/lib/db/schema";
import { goodBackup } from "./backups";
import { OpError } from "@/lib/ops/errors";
import type { TargetDb } from "@/lib/ops/target";
import { decryptSecret, encryptSecret } from "@/lib/secrets";
import type { AppFormInput } from "@/lib/validation/apps";

// Everything about an app except its encrypted password: what pages and the API may see.
const appColumns = {
  id: apps.id,
  slug: apps.slug,
  dbHost: apps.dbHost,
  dbPort: apps.dbPort,
  dbUser: apps.dbUser,
  dbName: apps.dbName,
  hasPassword: sql<boolean>`${apps.dbPasswordEnc} is not null`,
  deployRoot: apps.deployRoot,
  backupsDir: apps.backupsDir,
  defaultMethod: apps.defaultMethod,
  dumpFormat: apps.dumpFormat,
  cloneStrategy: apps.cloneStrategy,
  retention: apps.retention,
  staleAfterHours: apps.staleAfterHours,
  scheduledRetention: apps.scheduledRetention,
  overdueSince: apps.overdueSince,
  serverVersion: apps.serverVersion,
  serverVersionNum: apps.serverVersionNum,
  canCreateDb: apps.canCreateDb,
  pgDumpPath: apps.pgDumpPath,
  dbSizeBytes: apps.dbSizeBytes,
  dbSizeAt: apps.dbSizeAt,
  stopCommand: apps.stopCommand,
  startCommand: apps.startCommand,
  commandCwd: apps.commandCwd,
  commandEnv: apps.commandEnv,
  commandTimeoutSec: apps.commandTimeoutSec,
  healthUrl: apps.healthUrl,
  healthTimeoutSec: apps.healthTimeoutSec,
  healthPolicy: apps.healthPolicy,
  pgbouncerHost: apps.pgbouncerHost,
  pgbouncerPort: apps.pgbouncerPort,
  pgbouncerUser: apps.pgbouncerUser,
  pgbouncerDb: apps.pgbouncerDb,
  smokeQuery: apps.smokeQuery,
  drillAfterBackup: apps.drillAfterBackup,
  createdAt: apps.createdAt,
  updatedAt: apps.updatedAt,
};

export type AppView = Omit<App, "dbPasswordEnc" | "pgbouncerPasswordEnc"> & { hasPassword: boolean };

export async function getAppBySlug(slug: string): Promise<AppView | undefined> {
  const [row] = await getDb().select(appColumns).from(apps).where(eq(apps.slug, slug));
  return row;
}

/** The app, or a "not found" answer for the operator: for actions, API routes and the CLI. */
export async function requireAppBySlug(slug: string): Promise<AppView> {
  const app = await getAppBySlug(slug);
  if (!app) throw new OpError("not_found", `No app named ${slug}.`);
  return app;
}

export async function getAppById(id: number): Promise<AppView | undefined> {
  const [row] = await getDb().select(appColumns).from(apps).where(eq(apps.id, id));
  return row;
}

/** Connection parts with the decrypted password: for lib/ops only, never for a page or a response. */
export async function getAppTarget(appId: number): Promise<TargetDb> {
  const [row] = await getDb()
    .select({
      host: apps.dbHost, port: apps.dbPort, user: apps.dbUser, database: apps.dbName, enc: apps.dbPasswordEnc,
      bHost: apps.pgbouncerHost, bPort: apps.pgbouncerPort, bUser: apps.pgbouncerUser, bEnc: apps.pgbouncerPasswordEnc, bDb: apps.pgbouncerDb,
    })
    .from(apps)
    .where(eq(apps.id, appId));
  if (!row) throw new Error(`app ${appId} not found`);
  const pgbouncer =
    row.bHost && row.bPort && row.bUser
      ? { host: row.bHost, port: row.bPort, user: row.bUser, password: row.bEnc ? decryptSecret(row.bEnc) : undefined, database: row.bDb ?? row.database }
      : undefined;
  return { host: row.host, port: row.port, user: row.user, database: row.database, password: row.enc ? decryptSecret(row.enc) : undefined, pgbouncer };
}

export interface ServerFacts {
  serverVersion: string;
  serverVersionNum: number;
  canCreateDb: boolean;
  pgDumpPath: string;
  dbSizeBytes: number;
}

function settingsColumns(input: AppFormInput) {
  return {
    dbHost: input.host,
    dbPort: input.port,
    dbUser: input.user,
    dbName: input.database,
    deployRoot: input.deployRoot ?? null,
    backupsDir: input.backupsDir,
    defaultMethod: input.defaultMethod,
    dumpFormat: input.dumpFormat,
    cloneStrategy: input.cloneStrategy,
    retention: input.retention,
    staleAfterHours: input.staleAfterHours,
    stopCommand: input.stopCommand ?? null,
    startCommand: input.startCommand ?? null,
    commandCwd: input.commandCwd ?? null,
    commandTimeoutSec: input.commandTimeoutSec,
    healthUrl: input.healthUrl ?? null,
    healthTimeoutSec: input.healthTimeoutSec,
    healthPolicy: input.healthPolicy,
    pgbouncerHost: input.pgbouncer?.host ?? null,
    pgbouncerPort: input.pgbouncer?.port ?? null,
    pgbouncerUser: input.pgbouncer?.user ?? null,
    pgbouncerDb: input.pgbouncer?.database ?? null,
    // A new password replaces the stored one; no console forgets it; otherwise it is kept (app-settings.ts
    // allows that only while the console's host, port and user stay the same).
    ...(input.pgbouncer?.password ? { pgbouncerPasswordEnc: encryptSecret(input.pgbouncer.password) } : input.pgbouncer ? {} : { pgbouncerPasswordEnc: null }),
  };
}

export async function createApp(input: AppFormInput, facts: ServerFacts): Promise<number> {
  const [row] = await getDb()
    .insert(apps)
    .values({
      slug: input.slug,
      ...settingsColumns(input),
      dbPasswordEnc: input.password ? encryptSecret(input.password) : null,
      ...facts,
      dbSizeAt: new Date(),
    })
    .returning({ id: apps.id });
  return row!.id;
}

/** Updates settings; the stored password is kept when none is given. */
export async function updateApp(id: number, input: AppFormInput, facts: ServerFacts): Promise<void> {
  await getDb()
    .update(apps)
    .set({
      ...settingsColumns(input),
      ...(input.password ? { dbPasswordEnc: encryptSecret(input.password) } : {}),
      ...facts,
      dbSizeAt: new Date(),
      updatedAt: new Date(),
    })
    .where(eq(apps.id, id));
}

/** Another app (not `slug`) whose backups directory is `dir`: two apps in one directory would see each other's files. */
export async function backupsDirUsedBy(dir: string, slug: string): Promise<string | null> {
  const [row] = await getDb()
    .select({ slug: apps.slug })
    .from(apps)
    .where(and(eq(apps.backupsDir, dir), ne(apps.slug, slug)))
    .limit(1);
  return row?.slug ?? null;
}

/** The other apps registered with a database of this name, and where their server is. */
export async function databaseUsedBy(database: string, slug: string): Promise<{ slug: string; host: string; port: number }[]> {
  return getDb()
    .select({ slug: apps.slug, host: apps.dbHost, port: apps.dbPort })
    .from(apps)
    .where(and(eq(apps.dbName, database), ne(apps.slug, slug)));
}

export async function setAppDbSize(id: number, bytes: number): Promise<void> {
  await getDb().update(apps).set({ dbSizeBytes: bytes, dbSizeAt: new Date() }).where(eq(apps.id, id));
}

/** Where the app's database and health check are now (the demo's cluster and app move when a port is taken). */
export async function setAppEndpoints(id: number, v: { dbPort: number; healthUrl: string }): Promise<void> {
  await getDb().update(apps).set({ dbPort: v.dbPort, healthUrl: v.healthUrl, updatedAt: new Date() }).where(eq(apps.id, id));
}

export async function deleteApp(id: number): Promise<void> {
  await getDb().delete(apps).where(eq(apps.id, id));
}

export interface AppListRow {
  id: number;
  slug: string;
  dbName: string;
  dbHost: string;
  dbPort: number;
  dbSizeBytes: number | null;
  staleAfterHours: number;
  /** Set by the worker's dead-man's switch (lib/jobs/overdue.ts) while no verified backup is recent enough. */
  overdueSince: Date | null;
  deployRoot: string | null;
  hasHealthUrl: boolean;
  lastBackupAt: Date | null;
  lastBackupStatus: string | null;
  lastOkBackupAt: Date | null;
  runningJobId: number | null;
  /** "queued", "running", or "lost contact" (running but its lease expired: see lib/jobs/job-status.ts). */
  runningJobStatus: string | null;
}

/** Every app with its last backup and last good backup, in one query. */
export async function listAppsWithStatus(): Promise<AppListRow[]> {
  const db = getDb();
  const last = db
    .selectDistinctOn([backups.appId], { appId: backups.appId, at: backups.createdAt, status: backups.status })
    .from(backups)
    // The app's own backups: not files found on disk, not the pre-rollback copies a rollback keeps.
    .where(sql`${backups.deletedAt} is null and ${backups.kind} not in ('found', 'pre_rollback')`)
    .orderBy(backups.appId, desc(backups.createdAt))
    .as("last");
  const lastOk = db
    .select({ appId: backups.appId, at: sql<Date>`max(${backups.createdAt})`.as("last_ok_at") })
    .from(backups)
    .where(and(goodBackup, sql`${backups.deletedAt} is null`))
    .groupBy(backups.appId)
    .as("last_ok");
  const rows = await db
    .select({
      id: apps.id,
      slug: apps.slug,
      dbName: apps.dbName,
      dbHost: apps.dbHost,
      dbPort: apps.dbPort,
      dbSizeBytes: apps.dbSizeBytes,
      staleAfterHours: apps.staleAfterHours,
      overdueSince: apps.overdueSince,
      deployRoot: apps.deployRoot,
      hasHealthUrl: sql<boolean>`${apps.healthUrl} is not null`,
      lastBackupAt: last.at,
      lastBackupStatus: last.status,
      lastOkBackupAt: lastOk.at,
      runningJobId: sql<number | null>`(select j.id from jobs j where j.app_id = ${apps.id} and j.status in ('queued', 'running') order by j.id desc limit 1)`,
      runningJobStatus: sql<string | null>`(select case when j.status = 'running' and (j.lease_expires_at is null or j.lease_expires_at < now()) then 'lost contact' else j.status::text end
        from jobs j where j.app_id = ${apps.id} and j.status in ('queued', 'running') order by j.id desc limit 1)`,
    })
    .from(apps)
    .leftJoin(last, eq(last.appId, apps.id))
    .leftJoin(lastOk, eq(lastOk.appId, apps.id))
    .orderBy(apps.slug);
  return rows.map((r) => ({ ...r, lastOkBackupAt: r.lastOkBackupAt ? new Date(r.lastOkBackupAt) : null }));
}

/** After a failed health check: undo at once, or keep and alert (lib/jobs/health-policy.ts). */
export async function setAppHealthPolicy(id: number, policy: App["healthPolicy"]): Promise<void> {
  await getDb().update(apps).set({ healthPolicy: policy, updatedAt: new Date() }).where(eq(apps.id, id));
}
