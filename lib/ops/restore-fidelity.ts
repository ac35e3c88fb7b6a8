import type postgres from "postgres";
import type { OpContext } from "./context";
import { identityDiff, readIdentity, settingClause, type DbIdentity, type PropertyDiff } from "./db-identity";
import { applyIdentity, identityNotKept, identityReferences, notKeptSet, readRoleFacts, type NotKept, type RoleFacts } from "./db-identity-apply";
import { quoteCatalogName } from "./identifiers";
import { compareFingerprints, fingerprintRoles, OWNERSHIP_SQL, type FidelityDifference, type Fingerprint, type FingerprintWithText } from "./fidelity";
import { OpError } from "./errors";
import { connectionError } from "./server-info";
import { connectTarget, withMaintenance, type TargetDb } from "./target";

// What a restore of a backup will give back, decided before anyone confirms (the plan shows it), and the
// checks that hold the staging database to it before the swap. See README "What a restore keeps".

export interface FidelityPlan {
  /** What the restored database's own properties will be (recorded ones minus what cannot be kept). */
  expected: DbIdentity;
  /** The identity to apply (as recorded, or the live database's when the backup recorded none). */
  apply: DbIdentity;
  /** False for backups taken before Lifeboat recorded identities: the live database's properties are kept. */
  recorded: boolean;
  /** Live now → after the restore: what the operator sees before confirming. */
  diffs: PropertyDiff[];
  notKept: NotKept[];
  /** Dumps: every recorded owner is given back / grants are restored. */
  keep: { owners: boolean; acls: boolean };
  /** Roles that own objects in the backup and that the connecting role may not give objects to. */
  ownersNotKept: string[];
  /** Effects known in advance (reported, not failures). */
  effects: string[];
  /** Why this restore cannot run at all as this role; empty when it can. */
  blockers: string[];
  fingerprint: Fingerprint | null;
  method: "dump" | "clone";
}

export interface FidelityInput {
  method: "dump" | "clone";
  format: "custom" | "plain" | "directory" | null;
  identity: DbIdentity | null;
  fingerprint: Fingerprint | null;
}

/** Reads the live database's identity and the role's powers, then decides (planFidelityFrom). */
export async function planFidelity(target: TargetDb, input: FidelityInput): Promise<FidelityPlan> {
  return withMaintenance(target, async (sql) => {
    const live = await readIdentity(sql, target.database);
    if (!live) throw new OpError("db_missing", `database "${target.database}" does not exist on ${target.host}:${target.port}.`);
    const apply = input.identity ?? live;
    const roles = input.fingerprint ? fingerprintRoles(input.fingerprint) : { owners: [], grantees: [] };
    const refs = identityReferences(apply, [...roles.owners, ...roles.grantees]);
    const facts = await readRoleFacts(sql, refs.roles, refs.settings);
    return planFidelityFrom(live, input, facts);
  }).catch((e: unknown) => {
    throw connectionError(e, target);
  });
}

/** The decision itself. Pure. */
export function planFidelityFrom(live: DbIdentity, input: FidelityInput, f: RoleFacts): FidelityPlan {
  const apply = input.identity ?? live;
  const notKept = identityNotKept(apply, f);
  const blockers: string[] = [];
  const effects: string[] = [];
  // pg_database_owner (owner of schema public from PostgreSQL 14) is whoever owns the database: always kept.
  const may = (r: string) => f.superuser || r === f.user || r === "pg_database_owner" || f.memberOf.includes(r);
  let keep = { owners: true, acls: true };
  let ownersNotKept: string[] = [];
  if (input.method === "dump") {
    if (input.fingerprint) {
      const roles = fingerprintRoles(input.fingerprint);
      const foreignOwners = roles.owners.filter((r) => !may(r));
      const missingGrantees = roles.grantees.filter((r) => r !== "PUBLIC" && !f.existing.includes(r));
      keep = { owners: foreignOwners.length === 0, acls: missingGrantees.length === 0 };
      if (!keep.owners) {
        notKept.push({
          label: `ownership of objects owned by ${foreignOwners.join(", ")}`,
          reason: `${f.user} is not a member of ${foreignOwners.join(", ")}: those objects will belong to ${f.user}`,
          fix: `${foreignOwners.map((r) => `GRANT "${r}" TO "${f.user}";`).join(" ")} or restore as a superuser`,
        });
      }
      if (!keep.acls) {
        notKept.push({
          label: `grants to ${missingGrantees.join(", ")}`,
          reason: `the role${missingGrantees.length > 1 ? "s" : ""} ${missingGrantees.join(", ")} no longer exist${missingGrantees.length > 1 ? "" : "s"}: no grant of the backup is restored`,
          fix: `create ${missingGrantees.join(", ")} and restore again`,
        });
      }
      if (input.format === "plain" && !keep.acls) {
        blockers.push(
          `This plain-format dump grants privileges to ${missingGrantees.join(", ")}, which no longer exist${missingGrantees.length > 1 ? "" : "s"}, and psql stops at the first grant it cannot run. Fix: create ${missingGrantees.join(", ")}, or restore from a custom-format or clone backup.`,
        );
      }
      ownersNotKept = foreignOwners;
      if (input.fingerprint.matviews.length) {
        effects.push(
          `Materialized views (${input.fingerprint.matviews.slice(0, 5).join(", ")}${input.fingerprint.matviews.length > 5 ? ", …" : ""}) are refreshed from the restored tables by pg_restore: their rows are recomputed, not copied.`,
        );
      }
    } else {
      // Backups from before fingerprints: the old behaviour (owned by the connecting role, no grants for
      // custom; a plain dump of then carries its own ALTER … OWNER and grants).
      keep = { owners: input.format === "plain", acls: input.format === "plain" };
      effects.push("This backup was taken before Lifeboat recorded schemas and row counts: the restored copy is checked for readable tables and row counts only.");
      if (input.format !== "plain") {
        notKept.push({ label: "object owners and grants", reason: "this backup does not record who owned what", fix: "take a new backup to keep them from now on" });
      }
    }
  }
  if (!input.identity) {
    effects.push(`This backup was taken before Lifeboat recorded database properties: the live database's current properties (settings, owner, privileges) are given to the restored copy.`);
  }
  const expected = expectedIdentity(apply, notKept, f.user);
  return { expected, apply, recorded: !!input.identity, diffs: identityDiff(live, expected), notKept, keep, ownersNotKept, effects, blockers, fingerprint: input.fingerprint, method: input.method };
}

/** The identity the staging database will have once what cannot be kept is left out. */
function expectedIdentity(id: DbIdentity, notKept: NotKept[], user: string): DbIdentity {
  const skip = notKeptSet(notKept);
  const ownerKept = !skip.owner();
  const owner = ownerKept ? id.owner : user;
  return {
    ...id,
    owner,
    settings: id.settings.filter((e) => !skip.setting(e.slice(0, e.indexOf("=")))),
    roleSettings: id.roleSettings.filter((r) => !skip.roleSettings(r.role)),
    acl: id.acl
      ? mergeGrants(
          id.acl
            .filter((g) => !skip.acl(g.privilege, g.grantee))
            .map((g) => (g.grantee === id.owner && !ownerKept ? { ...g, grantee: user } : g)),
        )
      : null,
  };
}

function mergeGrants(grants: NonNullable<DbIdentity["acl"]>): NonNullable<DbIdentity["acl"]> {
  const m = new Map<string, (typeof grants)[number]>();
  for (const g of grants) {
    const k = `${g.grantee}\0${g.privilege}`;
    const prev = m.get(k);
    m.set(k, prev ? { ...g, grantable: prev.grantable || g.grantable } : g);
  }
  return [...m.values()];
}

/**
 * Compares the staging database's fingerprint with the backup's. An unexplained difference stops the
 * restore before the swap (the caller drops staging); explained ones are logged.
 */
export function checkFidelity(plan: FidelityPlan, staging: FingerprintWithText, ctx: OpContext, stagingDb: string): FidelityDifference[] {
  if (!plan.fingerprint) return [];
  const diffs = compareFingerprints(plan.fingerprint, staging, { matviewsRefreshed: plan.method === "dump", ownersKept: plan.keep.owners, aclsKept: plan.keep.acls });
  const explained = diffs.filter((d) => d.explained);
  const unexplained = diffs.filter((d) => !d.explained);
  for (const d of explained.slice(0, 20)) ctx.log(`fidelity: ${d.kind} ${d.what}: backup ${d.backup}, restored ${d.staging} — ${d.explained}`);
  if (unexplained.length) {
    for (const d of unexplained.slice(0, 30)) ctx.log(`fidelity: DIFFERS ${d.kind} ${d.what}: backup ${d.backup}, restored ${d.staging}`);
    const first = unexplained
      .slice(0, 5)
      .map((d) => `${d.kind} ${d.what} (backup: ${d.backup}; restored: ${d.staging})`)
      .join("; ");
    throw new OpError(
      "fidelity_failed",
      `The restored copy ${stagingDb} is not the database that was backed up: ${unexplained.length} difference${unexplained.length === 1 ? "" : "s"} — ${first}${unexplained.length > 5 ? "; …" : ""}. ` +
        `Nothing was swapped; the copy is dropped. Restore from another backup, or use a clone backup (an exact copy).`,
      { differences: unexplained.slice(0, 50) },
    );
  }
  ctx.log(`fidelity: schema, owners, grants and row counts match the backup's fingerprint${explained.length ? ` (${explained.length} expected difference${explained.length === 1 ? "" : "s"}, named in the plan)` : ""}`);
  return diffs;
}

/**
 * pg_dump prints definitions with search_path = '' and cannot qualify an operator that SQL spells as syntax:
 * a trigger `WHEN (OLD.email IS DISTINCT FROM NEW.email)` over citext came back comparing text. Triggers
 * whose restored definition differs from the recorded one are re-created from the recorded definition
 * under the database's recorded search_path — the way they were first created — in one transaction; the
 * caller fingerprints again and accepts the result only if it then matches. Returns the triggers re-created.
 */
export async function repairTriggers(target: TargetDb, plan: FidelityPlan, stagingDb: string, staging: FingerprintWithText, ctx: OpContext): Promise<string[]> {
  const recorded = plan.fingerprint;
  if (!recorded || plan.method !== "dump") return [];
  const keys = Object.keys(recorded.triggers).filter(
    (k) => k in staging.objects && staging.objects[k] !== recorded.objects[k] && staging.triggers[k] && /^CREATE (CONSTRAINT )?TRIGGER /.test(recorded.triggers[k]!.create),
  );
  if (keys.length === 0) return [];
  const path = plan.apply.settings.find((e) => e.startsWith("search_path="));
  const sql = connectTarget(target, stagingDb);
  try {
    await sql.begin(async (tx) => {
      await tx.unsafe(path ? `SET LOCAL ${settingClause(path)}` : `SET LOCAL search_path TO DEFAULT`);
      for (const k of keys) {
        // The DROP is the one staging's own server printed; the CREATE is the server's text recorded at backup.
        await tx.unsafe(staging.triggers[k]!.drop);
        await tx.unsafe(recorded.triggers[k]!.create);
      }
    });
  } catch (e) {
    throw new OpError("fidelity_failed", `Re-creating ${keys.join(", ")} as recorded failed: ${(e as Error).message}. Nothing was swapped; the copy is dropped.`);
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
  for (const k of keys) ctx.log(`fidelity: ${k} came back from pg_restore as ${staging.text[k]}; re-created from the definition recorded with the backup`);
  return keys;
}

/**
 * Gives every object of the freshly loaded staging database its recorded owner (objects were created owned
 * by the connecting role). Only clauses the staging server itself prints are run, never stored text.
 */
export async function giveOwnership(target: TargetDb, plan: FidelityPlan, stagingDb: string, ctx: OpContext): Promise<void> {
  const recorded = plan.fingerprint?.ownership;
  if (plan.method !== "dump" || !recorded || Object.keys(recorded).length === 0) return;
  const skip = new Set(plan.ownersNotKept);
  const sql = connectTarget(target, stagingDb);
  try {
    await sql.begin(async (tx) => {
      await tx`SET LOCAL search_path = pg_catalog`;
      const now = await tx.unsafe<{ clause: string; owner: string }[]>(OWNERSHIP_SQL);
      let changed = 0;
      for (const { clause, owner } of now) {
        const want = recorded[clause];
        if (!want || want === owner || skip.has(want)) continue;
        await tx.unsafe(`ALTER ${clause} OWNER TO ${quoteCatalogName(want)}`);
        changed++;
      }
      ctx.log(`gave ${changed} object${changed === 1 ? "" : "s"} of ${stagingDb} back to their recorded owners${skip.size ? ` (not: ${[...skip].join(", ")} — named in the plan)` : ""}`);
    });
  } catch (e) {
    if (e instanceof OpError) throw e;
    throw new OpError("identity_failed", `Could not give the objects of ${stagingDb} their recorded owners: ${(e as Error).message}. Nothing was swapped; the copy is dropped.`);
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

/** Applies the planned properties to staging and reads them back: any property not as planned stops the restore. */
export async function giveIdentity(sql: postgres.Sql, plan: FidelityPlan, stagingDb: string, ctx: OpContext): Promise<void> {
  await applyIdentity(sql, stagingDb, plan.apply, plan.notKept, ctx);
  const got = await readIdentity(sql, stagingDb);
  if (!got) throw new OpError("db_missing", `The staging database ${stagingDb} disappeared.`);
  const off = identityDiff(got, plan.expected);
  if (off.length) {
    throw new OpError(
      "fidelity_failed",
      `The restored copy ${stagingDb} did not take the recorded database properties: ${off.map((d) => `${d.label}: ${d.from} instead of ${d.to}`).join("; ")}. Nothing was swapped; the copy is dropped.`,
    );
  }
}
