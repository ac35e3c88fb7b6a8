import type postgres from "postgres";
import { z } from "zod";
import { OpError } from "./errors";
import { assertDumpNotBlockedByRls } from "./rls-check";
import { connectionError } from "./server-info";
import { connectTarget, type TargetDb } from "./target";

// "Restorable" means restorable by the role Lifeboat restores as. A dump replays CREATE EXTENSION for every
// extension in the database; an ordinary role may create only trusted extensions (PostgreSQL 13+,
// pg_available_extension_versions.trusted) — pg_stat_statements and other untrusted ones fail the restore
// with "permission denied to create extension" although the dump itself verified fine (POSTGRES-SAFETY:
// beyond contents). A clone restore (CREATE DATABASE … TEMPLATE) copies extensions as they are: no blocker.
// Decided at backup time, recorded on the backup (backups.restore_blockers), shown on it and in the plan.

export const restoreBlockerSchema = z.object({
  kind: z.literal("extension"),
  name: z.string(),
  version: z.string(),
  /** For the operator: why this role cannot re-create it. */
  reason: z.string(),
  /** For the operator: what makes the backup restorable. */
  fix: z.string(),
});
export type RestoreBlocker = z.infer<typeof restoreBlockerSchema>;
export const restoreBlockersSchema = z.array(restoreBlockerSchema);

export interface InstalledExtension {
  name: string;
  version: string;
  /** Built into every database by initdb (plpgsql): pg_dump does not write it. */
  builtin: boolean;
  /** Whether this server has the files for that version (pg_available_extension_versions). */
  available: boolean;
  superuserOnly: boolean;
  trusted: boolean;
}

export interface RoleFacts {
  role: string;
  superuser: boolean;
  /**
   * Extensions already present in the database staging is created from: the dump's
   * CREATE EXTENSION IF NOT EXISTS then does nothing, so these are not blockers. Staging is created from
   * template0 today, which holds only built-in ones: pass [] unless staging comes from another template.
   */
  templateExtensions: readonly string[];
}

/** What in `extensions` the role could not re-create when restoring a dump (pure). */
export function restoreBlockers(extensions: readonly InstalledExtension[], facts: RoleFacts): RestoreBlocker[] {
  const inTemplate = new Set(facts.templateExtensions);
  const out: RestoreBlocker[] = [];
  for (const e of extensions) {
    if (e.builtin || inTemplate.has(e.name)) continue;
    const reason = !e.available
      ? `this server has no files for extension ${e.name} ${e.version}`
      : !facts.superuser && e.superuserOnly && !e.trusted
        ? `only a superuser may create extension ${e.name} (it is not marked trusted), and "${facts.role}" is not one`
        : null;
    if (!reason) continue;
    out.push({
      kind: "extension",
      name: e.name,
      version: e.version,
      reason,
      fix: e.available
        ? `take clone backups of this app (a clone keeps extensions as they are), or restore as a role that may create ${e.name} (a superuser), or have a superuser create ${e.name} in the template staging databases are made from`
        : `install the extension's package (version ${e.version}) on the database server`,
    });
  }
  return out;
}

/** One line per blocker, for job logs, the backup row's title and the plan's refusal. */
export function describeBlockers(blockers: readonly RestoreBlocker[]): string {
  return blockers.map((b) => `${b.reason}; fix: ${b.fix}`).join(". ");
}

/** The extensions of the database `sql` is connected to, and the facts about the connected role. */
export async function readRestoreFacts(sql: postgres.Sql): Promise<{ extensions: InstalledExtension[]; role: string; superuser: boolean }> {
  const extensions = await sql<InstalledExtension[]>`
    SELECT e.extname AS name, e.extversion AS version,
           e.oid < 16384 AS builtin,
           v.name IS NOT NULL AS available,
           coalesce(v.superuser, true) AS "superuserOnly",
           coalesce(v.trusted, false) AS trusted
    FROM pg_extension e
    LEFT JOIN pg_available_extension_versions v ON v.name = e.extname AND v.version = e.extversion
    ORDER BY e.extname`;
  const [me] = await sql<{ role: string; superuser: boolean }[]>`
    SELECT current_user AS role, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user`;
  return { extensions, role: me!.role, superuser: me!.superuser };
}

/** Blockers of a dump of the connected database restored by the connected role into a template0 copy. */
export async function checkRestorability(sql: postgres.Sql, templateExtensions: readonly string[] = []): Promise<RestoreBlocker[]> {
  const facts = await readRestoreFacts(sql);
  return restoreBlockers(facts.extensions, { role: facts.role, superuser: facts.superuser, templateExtensions });
}

/**
 * Before a dump starts: refuses when row-level security would make it fail or miss rows (rls-check.ts),
 * and returns what the role could not re-create on restore (recorded on the backup).
 */
export async function dumpPreflight(target: TargetDb): Promise<RestoreBlocker[]> {
  const sql = connectTarget(target);
  try {
    await assertDumpNotBlockedByRls(sql).catch((e: unknown) => {
      throw e instanceof Error && "code" in e && (e as { code: unknown }).code === "rls_blocks_dump" ? e : connectionError(e, target, target.database);
    });
    return await checkRestorability(sql).catch((e: unknown) => {
      throw connectionError(e, target, target.database);
    });
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

/**
 * Before any restore job: a backup recorded as not restorable by this role is refused, with the fix.
 * (null: not checked — a clone, or a dump from before this check; those are offered as before.)
 */
export function assertNoRestoreBlockers(backup: { name: string; restoreBlockers: readonly RestoreBlocker[] | null }): void {
  const blockers = backup.restoreBlockers ?? [];
  if (blockers.length === 0) return;
  throw new OpError(
    "not_restorable_by_role",
    `${backup.name} cannot be restored by Lifeboat's database user: ${describeBlockers(blockers)}. Nothing was changed.`,
    { blockers: blockers.map((b) => b.name) },
  );
}
