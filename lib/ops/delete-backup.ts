import fs from "node:fs/promises";
import path from "node:path";
import { isBackupOf, isDumpFileName } from "./backup-names";
import { listSessions } from "./clone";
import { dropDatabaseIfExists } from "./db-admin";
import { OpError } from "./errors";
import { assertDbName } from "./identifiers";
import { fsyncDir, resolveInside } from "./paths";
import type { TargetDb } from "./target";

/**
 * Deletes one dump file from the app's backups directory. Only names shaped like Lifeboat's dump files, only
 * regular files (not a symlink, which could point at something else), only inside the directory.
 * Returns false when the file was already gone.
 */
export async function deleteDumpFile(backupsDir: string, fileName: string): Promise<boolean> {
  if (!isDumpFileName(fileName)) {
    throw new OpError(
      "invalid_name",
      `Refusing to delete "${fileName.slice(0, 80)}": only backups named db_backup_….dump, db_backup_….sql or db_backup_….dir are deleted.`,
    );
  }
  const file = await resolveInside(backupsDir, fileName, "backup file");
  const stat = await fs.lstat(path.join(path.dirname(file), fileName)).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
  if (!stat) return false;
  // A .dir backup is a pg_dump -Fd directory (removed with its files; rm never follows a symlink inside it).
  const isDir = fileName.endsWith(".dir");
  if (isDir ? !stat.isDirectory() : !stat.isFile()) {
    throw new OpError("invalid_name", `Refusing to delete ${fileName}: it is not a regular ${isDir ? "directory" : "file"} (a symlink or something else).`);
  }
  await fs.rm(file, { recursive: isDir });
  await fsyncDir(path.dirname(file));
  return true;
}

/**
 * Drops a clone backup of `liveDb`. Refuses the live database itself and anything that is not named like one
 * of its backups; refuses while sessions are connected unless told to end them. Returns false when the
 * database was already gone.
 */
export async function dropCloneBackup(
  target: TargetDb,
  liveDb: string,
  name: string,
  opts: { endSessions?: boolean } = {},
): Promise<boolean> {
  assertDbName(liveDb);
  assertDbName(name, "backup database name");
  if (name === liveDb || name === target.database) {
    throw new OpError("refused", `Refusing to drop "${name}": it is the app's live database, not a backup.`);
  }
  if (!isBackupOf(liveDb, name)) {
    throw new OpError(
      "not_a_backup",
      `Refusing to drop "${name}": it is not named like a backup of "${liveDb}" (${liveDb}_backup_YYYYMMDD_HHMMSS).`,
    );
  }
  if (!opts.endSessions) {
    const { count } = await listSessions(target, name);
    if (count > 0) {
      throw new OpError(
        "db_busy",
        `database "${name}" is being accessed by ${count} other session${count === 1 ? "" : "s"}; close them or choose to end sessions and delete.`,
        { sessions: count },
      );
    }
  }
  // WITH (FORCE) ends the sessions in the same statement, so none can sneak in between.
  return dropDatabaseIfExists(target, name, { force: !!opts.endSessions });
}
