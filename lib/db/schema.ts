import { sql } from "drizzle-orm";
import type { DbIdentity } from "../ops/db-identity";
import type { Fingerprint } from "../ops/fidelity";
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

const tstz = () => timestamp({ withTimezone: true, mode: "date" });
const bytes = () => bigint({ mode: "number" });

export const roleEnum = pgEnum("role", ["viewer", "operator", "admin"]);
export const backupMethodEnum = pgEnum("backup_method", ["dump", "clone"]);
export const dumpFormatEnum = pgEnum("dump_format", ["custom", "plain", "directory"]);
export const cloneStrategyEnum = pgEnum("clone_strategy", ["file_copy", "wal_log"]);
// scheduled (issue 9): made by a schedule (lib/db/schema-schedules.ts); its own retention class.
export const backupKindEnum = pgEnum("backup_kind", ["automatic", "manual", "named", "found", "pre_rollback", "scheduled"]);
/**
 * tampered: the file no longer has the sha256 recorded when Lifeboat wrote it; never restored.
 * missing: a refresh found no file/dir of that name in the backups directory (error says where and when); Verify
 * of the file put back returns it to ok. Appended last: ALTER TYPE … ADD VALUE keeps the existing values' order.
 */
export const backupStatusEnum = pgEnum("backup_status", ["running", "ok", "failed", "interrupted", "tampered", "missing"]);
export const jobTypeEnum = pgEnum("job_type", [
  "backup",
  "verify",
  "delete_backup",
  "restore",
  "rollback",
  "switch_release",
  "undo",
  "recover",
  // Issue 9: a restore drill into a scratch database, verify-and-adopt of a file found on disk, a guarded release.
  "drill",
  "adopt",
  "release",
]);
// "queued" is appended last: ALTER TYPE … ADD VALUE keeps the existing values' order.
export const jobStatusEnum = pgEnum("job_status", ["running", "ok", "failed", "interrupted", "queued"]);
export const journalStatusEnum = pgEnum("journal_status", ["begin", "done"]);
/** After a rollback/switch whose health check fails: undo it at once, or keep it and alert. */
export const healthPolicyEnum = pgEnum("health_policy", ["undo", "keep"]);

export const users = pgTable("users", {
  id: serial().primaryKey(),
  email: text().notNull().unique(),
  name: text(),
  passwordHash: text().notNull(),
  role: roleEnum().notNull().default("viewer"),
  disabled: boolean().notNull().default(false),
  createdAt: tstz().notNull().defaultNow(),
  lastSignInAt: tstz(),
});
export type User = typeof users.$inferSelect;

/**
 * Server-side sign-in sessions. The Auth.js JWT carries only `id`; every request re-reads this row, so a
 * revoked, expired (absolute) or idle session is refused even while its cookie is still valid.
 */
export const sessions = pgTable(
  "sessions",
  {
    id: text().primaryKey(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: tstz().notNull().defaultNow(),
    lastSeenAt: tstz().notNull().defaultNow(),
    /** Absolute end: sign-in time + LIFEBOAT_SESSION_HOURS, never moved. */
    expiresAt: tstz().notNull(),
    revokedAt: tstz(),
    revokedReason: text(),
    userAgent: text(),
    ip: text(),
  },
  (t) => [index().on(t.userId)],
);
export type Session = typeof sessions.$inferSelect;

/**
 * Sign-in throttling: one row per key ("account:<email>", "client:<ip>", "device:<nonce>"). Each failure
 * pushes blocked_until further out (exponential, capped); `email` lets an unlock or a reset clear them.
 */
export const signInThrottle = pgTable(
  "sign_in_throttle",
  {
    key: text().primaryKey(),
    email: text(),
    failures: integer().notNull().default(0),
    lastFailureAt: tstz().notNull().defaultNow(),
    blockedUntil: tstz(),
  },
  (t) => [index().on(t.email)],
);

export const apiTokens = pgTable("api_tokens", {
  id: serial().primaryKey(),
  userId: integer()
    .notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  name: text().notNull(),
  tokenHash: text().notNull().unique(),
  createdAt: tstz().notNull().defaultNow(),
  lastUsedAt: tstz(),
  /** At most the owner's role; null (tokens made before roles) acts with the owner's role. */
  role: roleEnum(),
  /** null only for tokens made before expiry existed. */
  expiresAt: tstz(),
  revokedAt: tstz(),
  createdBy: integer().references(() => users.id, { onDelete: "set null" }),
});
export type ApiToken = typeof apiTokens.$inferSelect;

export const apps = pgTable("apps", {
  id: serial().primaryKey(),
  slug: text().notNull().unique(),
  dbHost: text().notNull(),
  dbPort: integer().notNull().default(5432),
  dbUser: text().notNull(),
  /** AES-256-GCM, see lib/crypto/secret-box.ts. Never selected for display. */
  dbPasswordEnc: text(),
  dbName: text().notNull(),
  deployRoot: text(),
  backupsDir: text().notNull(),
  defaultMethod: backupMethodEnum().notNull().default("dump"),
  dumpFormat: dumpFormatEnum().notNull().default("custom"),
  cloneStrategy: cloneStrategyEnum().notNull().default("file_copy"),
  retention: integer().notNull().default(5),
  staleAfterHours: integer().notNull().default(24),
  // Issue 9, schedules and alarms: how scheduled backups are pruned (lib/validation/schedules.ts; null: newest 7
  // per method), and since when the worker has found the app without a verified backup in staleAfterHours (the
  // dead-man's switch, lib/jobs/overdue.ts: set once per episode, cleared when a verified backup lands).
  scheduledRetention: jsonb().$type<{ mode: "newest"; keep: number } | { mode: "gfs"; daily: number; weekly: number; monthly: number; timeZone?: string }>(),
  overdueSince: tstz(),
  // What the last connection test found.
  serverVersion: text(),
  serverVersionNum: integer(),
  canCreateDb: boolean(),
  pgDumpPath: text(),
  dbSizeBytes: bytes(),
  dbSizeAt: tstz(),
  // Stopping and starting the app (argument arrays, never shell strings).
  stopCommand: jsonb().$type<string[]>(),
  startCommand: jsonb().$type<string[]>(),
  commandCwd: text(),
  commandEnv: jsonb().$type<Record<string, string>>(),
  commandTimeoutSec: integer().notNull().default(120),
  healthUrl: text(),
  healthTimeoutSec: integer().notNull().default(30),
  healthPolicy: healthPolicyEnum().notNull().default("undo"),
  // PgBouncer's admin console, when the app reaches its database through one: the swap pauses it (all null: none).
  pgbouncerHost: text(),
  pgbouncerPort: integer(),
  pgbouncerUser: text(),
  /** AES-256-GCM like dbPasswordEnc. Never selected for display. */
  pgbouncerPasswordEnc: text(),
  /** The database's name in PgBouncer's [databases] section. */
  pgbouncerDb: text(),
  // Issue 9 (drills): a read-only query a drill runs against the restored copy; drill every automatic backup.
  smokeQuery: text(),
  drillAfterBackup: boolean().notNull().default(false),
  createdAt: tstz().notNull().defaultNow(),
  updatedAt: tstz().notNull().defaultNow(),
});
export type App = typeof apps.$inferSelect;

/** Worker processes (npm run worker): identity and heartbeat. Nothing assumes there is only one. */
export const workers = pgTable("workers", {
  id: serial().primaryKey(),
  name: text().notNull(),
  host: text().notNull(),
  pid: integer().notNull(),
  startedAt: tstz().notNull().defaultNow(),
  heartbeatAt: tstz().notNull().defaultNow(),
  stoppedAt: tstz(),
});
export type Worker = typeof workers.$inferSelect;

export const jobs = pgTable(
  "jobs",
  {
    id: serial().primaryKey(),
    appId: integer()
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    type: jobTypeEnum().notNull(),
    status: jobStatusEnum().notNull().default("running"),
    phase: text().notNull().default("starting"),
    progressDone: bytes(),
    progressTotal: bytes(),
    /** Last lines of the job's log (process stderr tails, step notes). */
    log: text().notNull().default(""),
    params: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    result: jsonb().$type<Record<string, unknown>>(),
    error: text(),
    /** The failure's code (OpError codes, "interrupted", …) for callers following the job. */
    errorCode: text(),
    actor: text().notNull(),
    /** name@host:pid of the worker running it (display); workerId says which worker row. */
    owner: text(),
    startedAt: tstz().notNull().defaultNow(),
    finishedAt: tstz(),
    heartbeatAt: tstz(),
    workerId: integer().references(() => workers.id, { onDelete: "set null" }),
    /** Fencing token: bumped on every claim and takeover. Writes and journal steps carry it in their WHERE. */
    epoch: integer().notNull().default(0),
    /** Renewed by the owner's heartbeat. Expired + app lock free (+ pid gone, same host) = dead. */
    leaseExpiresAt: tstz(),
    /** Why the owner stopped the job itself (lost its lock session, could not renew its lease); recovery follows. */
    fencedReason: text(),
  },
  (t) => [
    index().on(t.appId, t.startedAt),
    index().on(t.status),
    // One operation per app, answered atomically at enqueue. Written without the new "queued" value: a value
    // added by ALTER TYPE cannot be used in the same transaction (the migrator runs them all in one).
    uniqueIndex("jobs_one_active_per_app").on(t.appId).where(sql`status not in ('ok', 'failed', 'interrupted')`),
  ],
);
export type Job = typeof jobs.$inferSelect;

export const backups = pgTable(
  "backups",
  {
    id: serial().primaryKey(),
    appId: integer()
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    /** File name (dump) or database name (clone). */
    name: text().notNull(),
    method: backupMethodEnum().notNull(),
    kind: backupKindEnum().notNull(),
    format: dumpFormatEnum(),
    status: backupStatusEnum().notNull().default("running"),
    label: text(),
    sizeBytes: bytes(),
    sizeAt: tstz(),
    sha256: text(),
    createdAt: tstz().notNull().defaultNow(),
    finishedAt: tstz(),
    durationMs: integer(),
    verifiedAt: tstz(),
    createdBy: text(),
    /** The release `current` pointed at when the backup was taken. */
    release: text(),
    /** The release about to be deployed, when the backup was taken for one. */
    forRelease: text(),
    pinned: boolean().notNull().default(false),
    /** Who pinned it last and with which role: unpinning needs at least that role. */
    pinnedBy: text(),
    pinnedRole: roleEnum(),
    /** Set once an admin pins it and never cleared: retention a non-admin triggers never removes it. */
    adminPinnedAt: tstz(),
    error: text(),
    jobId: integer().references(() => jobs.id, { onDelete: "set null" }),
    /** pg_stat_database counters when taken: lets the rollback dialog say how much was written since. */
    stats: jsonb().$type<{ xactCommit: number; tupInserted: number; tupUpdated: number; tupDeleted: number }>(),
    /** The database's own properties when taken (lib/ops/db-identity.ts): applied to a restore of it. */
    identity: jsonb().$type<DbIdentity>(),
    /** Schema, owners, grants and row counts when taken (lib/ops/fidelity.ts): a restore is compared with it. */
    fingerprint: jsonb().$type<Fingerprint>(),
    /**
     * What the role Lifeboat restores as could not re-create from this dump (lib/ops/restorability.ts):
     * [] restorable, null not checked (clones, older backups). A backup with blockers is refused by the plan.
     */
    restoreBlockers: jsonb().$type<{ kind: "extension"; name: string; version: string; reason: string; fix: string }[]>(),
    deletedAt: tstz(),
    // Issue 9 (adoption, drills). A "found" dump becomes restorable once adopted: read in full, scanned,
    // its sha256 recorded (adoptedAt) — never before. The last restore drill's outcome, for lists.
    adoptedAt: tstz(),
    adoptedBy: text(),
    drilledAt: tstz(),
    drillOk: boolean(),
  },
  (t) => [
    index().on(t.appId, t.createdAt),
    uniqueIndex("backups_app_method_name_live").on(t.appId, t.method, t.name).where(sql`deleted_at is null`),
  ],
);
export type Backup = typeof backups.$inferSelect;

/** Durable step journal for dangerous operations: written before each step runs. */
export const opJournal = pgTable(
  "op_journal",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    jobId: integer()
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    appId: integer()
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    step: text().notNull(),
    status: journalStatusEnum().notNull(),
    detail: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    at: tstz().notNull().defaultNow(),
    /** Set once recovery has reconciled the job this entry belongs to. */
    reconciledAt: tstz(),
  },
  (t) => [index().on(t.jobId)],
);
export type JournalEntry = typeof opJournal.$inferSelect;
