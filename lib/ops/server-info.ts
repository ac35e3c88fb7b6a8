import { OpError } from "./errors";
import { clientToolFor } from "./pg-bin";
import { connectTarget, type TargetDb } from "./target";

export interface ServerInfo {
  /** server_version, e.g. "15.18 (Debian 15.18-0+deb12u1)". */
  version: string;
  /** server_version_num, e.g. 150018. */
  versionNum: number;
  major: number;
  /** The role may create databases (CREATEDB or superuser): needed for clones and restores. */
  canCreateDb: boolean;
  isSuperuser: boolean;
  pgDumpPath: string;
  pgRestorePath: string;
  psqlPath: string;
  dbSizeBytes: number;
  /** CREATE DATABASE … STRATEGY FILE_COPY exists from PostgreSQL 15. */
  supportsFileCopy: boolean;
}

/**
 * Connects to the app's database and says what Lifeboat needs to know about the server, and which client
 * programs match it (pg_dump refuses a server newer than itself: clientToolFor says so clearly).
 */
export async function probeServer(target: TargetDb, pgBin?: string): Promise<ServerInfo> {
  const sql = connectTarget(target);
  let row: { version: string; num: number; createdb: boolean; superuser: boolean; size: string };
  try {
    [row] = (await sql`
      SELECT current_setting('server_version') AS version,
             current_setting('server_version_num')::int AS num,
             r.rolcreatedb AS createdb,
             r.rolsuper AS superuser,
             pg_database_size(current_database())::text AS size
      FROM pg_roles r WHERE r.rolname = current_user`) as unknown as [typeof row];
  } catch (e) {
    throw connectionError(e, target);
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
  const major = Math.floor(row.num / 10000);
  const [pgDumpPath, pgRestorePath, psqlPath] = await Promise.all([
    clientToolFor("pg_dump", major, pgBin),
    clientToolFor("pg_restore", major, pgBin),
    clientToolFor("psql", major, pgBin),
  ]);
  return {
    version: row.version,
    versionNum: row.num,
    major,
    canCreateDb: row.createdb || row.superuser,
    isSuperuser: row.superuser,
    pgDumpPath,
    pgRestorePath,
    psqlPath,
    dbSizeBytes: Number(row.size),
    supportsFileCopy: major >= 15,
  };
}

/**
 * Turns a postgres.js connection failure into an operator message that says what to check. Errors that are
 * not about connecting pass through unchanged. Never mentions the password.
 */
export function connectionError(e: unknown, target: TargetDb, database = target.database): unknown {
  if (e instanceof OpError) return e;
  const err = e as { code?: string; message?: string };
  const where = `${target.host}:${target.port}`;
  switch (err?.code) {
    case "28P01":
      return new OpError(
        "auth_failed",
        `password authentication failed for user "${target.user}" on ${where}: check the user and password.`,
      );
    case "28000":
      return new OpError(
        "auth_failed",
        `The server at ${where} refused user "${target.user}" for database "${database}" (${firstLine(err.message)}): check the user and the server's pg_hba.conf.`,
      );
    case "3D000":
      return new OpError("db_missing", `database "${database}" does not exist on ${where}: check the database name.`);
    case "ECONNREFUSED":
      return new OpError(
        "unreachable",
        `nothing is listening on ${where}: check the host and port, and that PostgreSQL is running.`,
      );
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new OpError("unreachable", `The host "${target.host}" cannot be resolved: check the host name.`);
    case "CONNECT_TIMEOUT":
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return new OpError(
        "unreachable",
        `Could not reach ${where} (${err.code}): check the host, the port and any firewall in between.`,
      );
    case "55000":
      if (/not currently accepting connections/.test(err.message ?? "")) {
        return new OpError(
          "db_not_accepting",
          `database "${database}" on ${where} is not currently accepting connections (ALLOW_CONNECTIONS is off, perhaps left by an interrupted operation). ` +
            `Run recovery, or as its owner: ALTER DATABASE "${database}" WITH ALLOW_CONNECTIONS true;`,
        );
      }
      return e;
    case "53300":
      return new OpError("too_many_connections", `The server at ${where} has no free connection slots: ${firstLine(err.message)}.`);
    default:
      return e;
  }
}

function firstLine(s: string | undefined): string {
  return (s ?? "").split("\n")[0]!.trim();
}
