import crypto from "node:crypto";
import { OpError } from "./errors";
import { assertDbName, isValidDbName, MAX_IDENTIFIER_BYTES } from "./identifiers";

// Names of backups: dump files in the app's backups directory (the Ansible seed's db_backup_* scheme) and
// clone databases on the server (the backup script seed's <db>_backup_YYYYMMDD_HHMMSS scheme).

export type DumpKind = "automatic" | "manual" | "named" | "scheduled";
export type DumpFormat = "custom" | "plain" | "directory";

const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * A label for a named backup (like v2.0.0). It becomes part of a file name, so it is checked strictly:
 * no separators or traversal, and nothing that could collide with the automatic (digits) or manual names.
 */
export function validateLabel(label: string): string {
  const why =
    typeof label !== "string" || !LABEL.test(label)
      ? "use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit (like v2.0.0)"
      : label.includes("..")
        ? "it must not contain '..'"
        : /^\d+$/.test(label)
          ? "it must not be only digits (those names belong to automatic backups)"
          : // Case-insensitive: on a case-insensitive filesystem Manual_1 would still collide with manual_1.
            /^(manual|scheduled)_/i.test(label)
            ? `it must not start with ${label.split("_")[0]}_ (those names belong to ${label.split("_")[0]!.toLowerCase()} backups)`
            : undefined;
  if (why) {
    throw new OpError("invalid_label", `Invalid backup label ${printable(label)}: ${why}.`);
  }
  return label;
}

/** db_backup_<unix seconds>, db_backup_manual_<unix seconds> or db_backup_<label>, with .dump, .sql or .dir (a directory). */
export function dumpFileName(kind: DumpKind, format: DumpFormat, opts: { now: Date; label?: string }): string {
  const ext = format === "plain" ? "sql" : format === "directory" ? "dir" : "dump";
  const unix = Math.floor(opts.now.getTime() / 1000);
  if (!Number.isFinite(unix)) throw new OpError("invalid_time", "Cannot name a backup: the clock gave an invalid date.");
  switch (kind) {
    case "automatic":
      return `db_backup_${unix}.${ext}`;
    case "manual":
      return `db_backup_manual_${unix}.${ext}`;
    case "scheduled":
      return `db_backup_scheduled_${unix}.${ext}`;
    case "named":
      if (opts.label === undefined) throw new OpError("invalid_label", "A named backup needs a label (like v2.0.0).");
      return `db_backup_${validateLabel(opts.label)}.${ext}`;
  }
}

/** Does this file name look like a dump file Lifeboat (or the Ansible seed) writes (.dir: a pg_dump -Fd directory)? */
export function isDumpFileName(name: string): boolean {
  return /^db_backup_[A-Za-z0-9][A-Za-z0-9._-]{0,70}\.(dump|sql|dir)$/.test(name) && !name.includes("..");
}

export type CloneTag = "backup" | "pre_rollback" | "staging";
const MAX_SEQUENCE = 99;
const HASH_CHARS = 8;

/** `<db>_backup_YYYYMMDD_HHMMSS` (UTC), shortened with a hash when too long, `_2`, `_3`… when taken. */
export function cloneDbName(db: string, now: Date, isTaken: (name: string) => Promise<boolean>): Promise<string> {
  return freeName(db, "backup", now, isTaken);
}

/** `<db>_pre_rollback_YYYYMMDD_HHMMSS`: the live database kept aside by a rollback. */
export function preRollbackDbName(db: string, now: Date, isTaken: (name: string) => Promise<boolean>): Promise<string> {
  return freeName(db, "pre_rollback", now, isTaken);
}

/** `<db>_staging_YYYYMMDD_HHMMSS`: where a dump is restored before it replaces the live database. */
export function stagingDbName(db: string, now: Date, isTaken: (name: string) => Promise<boolean>): Promise<string> {
  return freeName(db, "staging", now, isTaken);
}

async function freeName(db: string, tag: CloneTag, now: Date, isTaken: (name: string) => Promise<boolean>): Promise<string> {
  for (let seq = 1; seq <= MAX_SEQUENCE; seq++) {
    const name = timestampedDbName(db, tag, now, seq);
    if (!(await isTaken(name))) return name;
  }
  throw new OpError(
    "name_exhausted",
    `Could not find a free name for a ${tag.replace("_", "-")} copy of "${db}" at ${stamp(now)}: ${MAX_SEQUENCE} names are taken. Wait a second and try again.`,
  );
}

/**
 * The name for one sequence number, pure. PostgreSQL would silently truncate a name over 63 bytes (and a
 * truncated name can collide with the previous backup's), so a long database name is cut deterministically
 * and followed by a hash of the full name: `<prefix>_<hash8>_backup_…`. The timestamp always stays whole.
 */
export function timestampedDbName(db: string, tag: CloneTag, now: Date, seq = 1): string {
  assertDbName(db);
  const suffix = `_${tag}_${stamp(now)}${seq > 1 ? `_${seq}` : ""}`;
  let name = db + suffix;
  if (Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES) {
    const room = MAX_IDENTIFIER_BYTES - suffix.length - HASH_CHARS - 1;
    // Database names are ASCII (assertDbName), so characters are bytes.
    name = `${db.slice(0, room)}_${nameHash(db)}${suffix}`;
  }
  return assertDbName(name, "backup database name");
}

/** YYYYMMDD_HHMMSS in UTC. */
export function stamp(now: Date): string {
  if (Number.isNaN(now.getTime())) throw new OpError("invalid_time", "Cannot name a backup: the clock gave an invalid date.");
  return now.toISOString().replace(/[-:]/g, "").replace("T", "_").slice(0, 15);
}

function nameHash(db: string): string {
  return crypto.createHash("sha256").update(db).digest("hex").slice(0, HASH_CHARS);
}

const TIMESTAMP = String.raw`\d{8}_\d{6}(?:_\d{1,3})?`;
const BACKUP_TAGS = "(?:backup|pre_rollback)";

/**
 * Is `name` a clone backup of `db` that this system or the seed's backup script could have made:
 * `<db>_backup_…`, `<db>_pre_rollback_…`, their shortened-with-hash forms, and a seed name that
 * PostgreSQL truncated to 63 bytes. Never true for `db` itself.
 */
export function isBackupOf(db: string, name: string): boolean {
  if (!isValidDbName(db) || !isValidDbName(name) || name === db) return false;
  if (new RegExp(`^${BACKUP_TAGS}_${TIMESTAMP}$`).test(name.slice(db.length + 1)) && name.startsWith(`${db}_`)) {
    return true;
  }
  const hashed = name.match(new RegExp(`^([a-z0-9_]+)_([0-9a-f]{${HASH_CHARS}})_${BACKUP_TAGS}_${TIMESTAMP}$`));
  if (hashed && hashed[2] === nameHash(db) && db.startsWith(hashed[1]!)) return true;
  // The seed script did not check lengths: PostgreSQL cut its name to 63 bytes. Recognise only a cut inside
  // the timestamp, so the name still says "<db>_backup_<digits>".
  if (Buffer.byteLength(name) === MAX_IDENTIFIER_BYTES && name.startsWith(`${db}_backup_`)) {
    const rest = name.slice(db.length + "_backup_".length);
    const full = "00000000_000000";
    return rest.length > 0 && rest.length < full.length && /^\d{1,8}(?:_\d{0,6})?$/.test(rest);
  }
  return false;
}

/**
 * Is `name` a staging copy of `db` this system could have made (`<db>_staging_…` or its shortened-with-hash
 * form: see timestampedDbName)? Never true for `db` itself.
 */
export function isStagingOf(db: string, name: string): boolean {
  if (!isValidDbName(db) || !isValidDbName(name) || name === db) return false;
  if (name.startsWith(`${db}_`) && new RegExp(`^staging_${TIMESTAMP}$`).test(name.slice(db.length + 1))) return true;
  const hashed = name.match(new RegExp(`^([a-z0-9_]+)_([0-9a-f]{${HASH_CHARS}})_staging_${TIMESTAMP}$`));
  return !!hashed && hashed[2] === nameHash(db) && db.startsWith(hashed[1]!);
}

function printable(s: unknown): string {
  if (typeof s !== "string") return "(not text)";
  const shown = JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
  // Escape anything outside printable ASCII so NUL, control characters and lookalikes are visible.
  return shown.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
