import { z } from "zod";
import { env } from "@/lib/env";
import { checkConfiguredDir, type DirPurpose } from "@/lib/ops/dir-check";
import {
  appFormSchema,
  testConnectionFormSchema,
  newAppFormSchema,
  RETYPE_PASSWORD_MESSAGE,
  sameConnection,
  type AppFormInput,
  type ConnectionParts,
} from "./apps";

// The app form as the server checks it, before anything connects or is spawned: appFormSchema's formats, then
// what only the server can know — the directories exist (symlinks resolved), the database is not Lifeboat's
// own, and a stored password is only used for the connection it was stored for.

/** The stored connection of the app with this slug, password included; null when there is no such app. */
export type StoredConnectionLookup = (
  slug: string,
) => Promise<(ConnectionParts & { password?: string; pgbouncer?: { host: string; port: number; user: string; password?: string } }) | null>;

export type CheckedAppSettings = AppFormInput & {
  /** The password to connect with now: the one typed, or the stored one when the connection is unchanged. */
  connectPassword: string | undefined;
  /** PgBouncer's admin password to check the console with now: the one typed, or the stored one for the same console. */
  pgbouncerConnectPassword: string | undefined;
  /** "backups directory /srv/b → /data/b": symlinks resolved, said back to the operator. */
  resolvedNotes: string[];
};

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "::1", "0.0.0.0", ""]);

/**
 * Could two addresses be the same server? The same port, and the same host — or either host local (a local
 * name may resolve to 127.0.0.1) — unless both are remote names that differ.
 */
export function maybeSameServer(a: { host: string; port: number }, b: { host: string; port: number }): boolean {
  const ha = a.host.replace(/^\[|\]$/g, "").toLowerCase();
  const hb = b.host.replace(/^\[|\]$/g, "").toLowerCase();
  const bothRemoteAndDifferent = ha !== hb && !LOCAL_HOSTS.has(ha) && !LOCAL_HOSTS.has(hb);
  return !bothRemoteAndDifferent && Number(a.port) === Number(b.port);
}

/** Does this connection name Lifeboat's own metadata database (DATABASE_URL)? */
export function isMetadataDatabase(conn: ConnectionParts, metadataUrl = env().DATABASE_URL): boolean {
  if (!metadataUrl) return false;
  let u: URL;
  try {
    u = new URL(metadataUrl);
  } catch {
    return false;
  }
  const metaDb = decodeURIComponent(u.pathname.replace(/^\//, "")) || decodeURIComponent(u.username);
  if (metaDb !== conn.database) return false;
  return maybeSameServer({ host: u.hostname, port: Number(u.port || 5432) }, conn);
}

/**
 * appFormSchema plus the server's checks. `mode: "create"` also refuses reserved names. Field errors come back
 * through the action wrapper as "invalid", before any connection is made.
 */
export function appSettingsSchema(opts: {
  mode: "create" | "update" | "test";
  lookupStored: StoredConnectionLookup;
  /** The slug of another app whose backups directory this real path already is, if any. */
  backupsDirUsedBy?: (realDir: string, slug: string) => Promise<string | null>;
  /** The other apps registered with a database of this name (their server decides whether it is the same one). */
  databaseUsedBy?: (database: string, slug: string) => Promise<{ slug: string; host: string; port: number }[]>;
}) {
  return (opts.mode === "create" ? newAppFormSchema : opts.mode === "test" ? testConnectionFormSchema : appFormSchema).transform(async (v, ctx): Promise<CheckedAppSettings> => {
    let problems = 0;
    const issue = (field: string, message: string) => {
      problems++;
      ctx.addIssue({ code: "custom", path: [field], message });
    };

    const resolvedNotes: string[] = [];
    const dirs: [keyof AppFormInput & ("deployRoot" | "backupsDir" | "commandCwd"), DirPurpose][] = [
      ["deployRoot", "deploy root"],
      ["backupsDir", "backups directory"],
      ["commandCwd", "working directory"],
    ];
    const resolved: Partial<Record<"deployRoot" | "backupsDir" | "commandCwd", string>> = {};
    for (const [field, purpose] of dirs) {
      const value = v[field];
      if (!value) continue;
      const r = await checkConfiguredDir(value, purpose);
      if (!r.ok) {
        issue(field, r.message);
        continue;
      }
      resolved[field] = r.real;
      if (r.resolvedFrom) resolvedNotes.push(`${purpose} ${r.resolvedFrom} → ${r.real}`);
    }

    const otherApp = resolved.backupsDir && opts.backupsDirUsedBy ? await opts.backupsDirUsedBy(resolved.backupsDir, v.slug) : null;
    if (otherApp) {
      issue(
        "backupsDir",
        `${resolved.backupsDir} is already the backups directory of ${otherApp}. Give each app its own: in a shared one each would list the other's dump files as its own, and one app's retention could delete the other's backups.`,
      );
    }

    const sharing = opts.databaseUsedBy ? (await opts.databaseUsedBy(v.database, v.slug)).find((o) => maybeSameServer(o, v)) : undefined;
    if (sharing) {
      issue(
        "database",
        `${v.database} on ${v.host}:${v.port} is already the database of ${sharing.slug}. Two apps on one database would list each other's clones as their own, ` +
          `and one app's delete, restore or undo would change the other's data under it. Register it once; give another app its own database.`,
      );
    }

    if (isMetadataDatabase(v)) {
      issue("database", `${v.database} is Lifeboat's own metadata database. Register the app's database, not Lifeboat's.`);
    }

    let connectPassword = v.password;
    if (connectPassword === undefined) {
      const stored = await opts.lookupStored(v.slug);
      if (stored?.password !== undefined) {
        if (sameConnection(stored, v)) connectPassword = stored.password;
        else issue("password", RETYPE_PASSWORD_MESSAGE);
      }
    }
    // The same rule for PgBouncer's stored admin password: only to the console it was saved for.
    let pgbouncerConnectPassword = v.pgbouncer?.password;
    if (v.pgbouncer && v.pgbouncer.password === undefined) {
      const stored = (await opts.lookupStored(v.slug))?.pgbouncer;
      if (stored?.password !== undefined && sameConnection({ ...stored, database: "" }, { ...v.pgbouncer, database: "" })) pgbouncerConnectPassword = stored.password;
      else if (stored?.password !== undefined) {
        issue("pgbouncerUrl", "Type the PgBouncer password again: the console's host, port or user changed, and the stored password is only sent to the console it was saved for.");
      }
    }
    // Stop here when anything is wrong: nothing after this may connect, spawn or store.
    if (problems > 0) return z.NEVER;
    return { ...v, ...resolved, connectPassword, pgbouncerConnectPassword, resolvedNotes };
  });
}
