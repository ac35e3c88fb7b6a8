import path from "node:path";
import { isDumpFileName, timestampedDbName } from "./backup-names";
import { isValidDbName, quoteIdent } from "./identifiers";

// What an operator pastes when Lifeboat itself is unavailable: the seeds' emergency paths (psql < dump,
// and the clone rename sequence), made safe. Pure, and the password is never filled in.

export interface ManualRestoreInput {
  /** The app's connection parts (an AppView fits); its password is never read. */
  app: { dbHost: string; dbPort: number; dbUser: string; dbName: string; backupsDir: string; pgDumpPath?: string | null };
  backup: { name: string; method: "dump" | "clone"; format?: "custom" | "plain" | "directory" | null; sha256?: string | null };
  /** When the restore would happen: names the database put aside. */
  now?: Date;
}

export const PASSWORD_PLACEHOLDER = "...";

/**
 * The commands to restore one backup by hand. A dump is restored into a new `<db>_staging_<time>` database
 * first (the live one is untouched until the swap). The swap renames the live database aside as
 * `<db>_pre_rollback_<time>` (the seed's `_old`, named so Lifeboat lists it as a backup) and the restored
 * one into its place, both renames in one transaction.
 */
export function manualRestoreCommand(input: ManualRestoreInput): string {
  const { app, backup } = input;
  const now = input.now ?? new Date();
  const live = app.dbName;
  if (!isValidDbName(live)) return `# No manual command: "${live}" is not a database name Lifeboat handles.`;
  const aside = timestampedDbName(live, "pre_rollback", now);
  const binDir = app.pgDumpPath ? path.dirname(app.pgDumpPath) : undefined;
  const tool = (name: string) => (binDir ? sh(path.join(binDir, name)) : name);
  const env = [
    `export PGHOST=${sh(app.dbHost)} PGPORT=${sh(String(app.dbPort))} PGUSER=${sh(app.dbUser)}`,
    `export PGPASSWORD=${PASSWORD_PLACEHOLDER}   # replace ... with the password of ${sh(app.dbUser)}, or delete this line to be asked`,
  ];
  const swap = (replacement: string) => [`${tool("psql")} -X -v ON_ERROR_STOP=1 -d postgres <<'SQL'`, ...swapSql(live, replacement, aside), "SQL"];

  if (backup.method === "clone") {
    if (!isValidDbName(backup.name)) return `# No manual command: "${backup.name}" is not a database name Lifeboat handles.`;
    return [
      `# Put the clone ${backup.name} in place of ${live} on ${app.dbHost}:${app.dbPort}. Stop the app first.`,
      ...env,
      ...swap(backup.name),
      "# Then start the app.",
    ].join("\n");
  }

  if (!isDumpFileName(backup.name)) return `# No manual command: "${backup.name}" is not a backup file name Lifeboat writes.`;
  const file = path.join(app.backupsDir, backup.name);
  const staging = timestampedDbName(live, "staging", now);
  const format = backup.format ?? (backup.name.endsWith(".sql") ? "plain" : backup.name.endsWith(".dir") ? "directory" : "custom");
  const restore =
    format === "plain"
      ? `${tool("psql")} -X -v ON_ERROR_STOP=1 --single-transaction -d ${staging} -f ${sh(file)}`
      : `${tool("pg_restore")} --exit-on-error --no-owner --no-acl ${format === "directory" ? "-j 2" : "--single-transaction"} -d ${staging} ${sh(file)}`;
  return [
    `# Restore ${backup.name} into ${live} on ${app.dbHost}:${app.dbPort}.`,
    ...env,
    ...checksumCheck(file, backup.sha256, format === "directory"),
    "# 1. Restore into a new database; the live one is not touched yet.",
    `${tool("psql")} -X -v ON_ERROR_STOP=1 -d postgres -c ${sh(`CREATE DATABASE ${quoteIdent(staging)} TEMPLATE template0`)}`,
    restore,
    "# 2. Stop the app, then swap the databases:",
    ...swap(staging),
    "# 3. Start the app.",
  ].join("\n");
}

/** The same gate as Lifeboat's own restore: only the bytes Lifeboat wrote (a plain dump is a script psql runs). */
function checksumCheck(file: string, sha256: string | null | undefined, directory = false): string[] {
  if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256)) {
    return ["# 0. No sha256 was recorded for this file: restore it only if you know where it came from."];
  }
  if (directory) {
    // The recorded sha256 is that of the manifest of every member's sha256 (lib/ops/dir-manifest.ts).
    return [
      "# 0. Stop unless the directory holds exactly the files Lifeboat wrote:",
      `test "$(export LC_ALL=C; cd ${sh(file)} && sha256sum -- * | sha256sum | cut -d' ' -f1)" = ${sha256} || exit 1`,
    ];
  }
  return ["# 0. Stop unless the file is exactly the one Lifeboat wrote:", `echo ${sh(`${sha256}  ${file}`)} | sha256sum --check --strict || exit 1`];
}

/** The seed's rename sequence: keep new sessions out, end the current ones, two renames in one transaction. */
function swapSql(live: string, replacement: string, aside: string): string[] {
  return [
    `-- Keep new sessions out of ${live} (superusers too), then end the ones still connected.`,
    `ALTER DATABASE ${quoteIdent(live)} WITH ALLOW_CONNECTIONS false;`,
    `SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = '${live}' AND pid <> pg_backend_pid();`,
    `-- Both renames or neither. If this part fails, run: ALTER DATABASE ${quoteIdent(live)} WITH ALLOW_CONNECTIONS true;`,
    "BEGIN;",
    `ALTER DATABASE ${quoteIdent(live)} RENAME TO ${quoteIdent(aside)};`,
    `ALTER DATABASE ${quoteIdent(replacement)} RENAME TO ${quoteIdent(live)};`,
    "COMMIT;",
    `-- ${aside} keeps refusing connections (the flag moves with it): it is the state before this restore.`,
  ];
}

/** A word for a POSIX shell: as is when harmless, else single-quoted. */
export function sh(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
