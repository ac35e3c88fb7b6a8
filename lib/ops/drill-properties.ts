import type { OpContext } from "./context";
import { identityDiff, readIdentity } from "./db-identity";
import { applyIdentity } from "./db-identity-apply";
import { OpError } from "./errors";
import type { FidelityPlan } from "./restore-fidelity";
import { connectionError } from "./server-info";
import { withMaintenance, type TargetDb } from "./target";

// A drill holds the scratch copy to the database-level properties recorded with the backup (lib/ops/db-identity.ts),
// the same step a real restore takes before its swap (giveIdentity): encoding and locale come from the restore's
// CREATE DATABASE, the rest (settings, per-role settings, comment, connection limit, privileges, owner) are applied
// and read back. A drill that passed while the restore would stop there would be a false "restore-tested".

export interface DrillProperties {
  /** Properties the scratch copy was held to, in words. */
  compared: string[];
  /** Properties that a scratch database cannot show, or that this role cannot give it, each with why. */
  notCompared: string[];
}

/** Which properties can be compared for this plan. Pure. */
export function drillPropertyScope(plan: FidelityPlan): DrillProperties {
  const notCompared = ["database name (the scratch database has its own)"];
  if (!plan.recorded) {
    notCompared.push("database settings, owner, comment, connection limit, privileges, encoding and locale: this backup recorded none (taken before Lifeboat recorded them)");
    return { compared: plan.fingerprint ? ["extensions and their versions (with the schema)"] : [], notCompared };
  }
  for (const n of plan.notKept) if (n.key) notCompared.push(`${n.label}: ${n.reason}`);
  const e = plan.expected;
  const compared = ["encoding", "locale", "owner", "comment", "connection limit", "database privileges"].filter((p) => p !== "owner" || !plan.notKept.some((n) => n.key?.kind === "owner"));
  for (const s of e.settings) compared.push(`setting ${s.slice(0, s.indexOf("="))}`);
  for (const r of e.roleSettings) for (const s of r.settings) compared.push(`setting ${s.slice(0, s.indexOf("="))} for role ${r.role}`);
  if (plan.fingerprint) compared.push("extensions and their versions (with the schema)");
  return { compared, notCompared };
}

/**
 * Gives the scratch database the recorded properties and reads them back; throws `properties_differ` naming
 * each one that is not as recorded. Run after the fingerprint and the smoke query: the recorded connection
 * limit and privileges may keep the connecting role out of the copy afterwards. Returns the differences (none).
 */
export async function checkDrillProperties(target: TargetDb, plan: FidelityPlan, scratch: string, ctx: OpContext): Promise<DrillProperties> {
  const scope = drillPropertyScope(plan);
  if (!plan.recorded) {
    ctx.log("database properties: this backup recorded none; not compared");
    return scope;
  }
  const differences = await withMaintenance(target, async (sql) => {
    try {
      await applyIdentity(sql, scratch, plan.apply, plan.notKept, ctx);
    } catch (e) {
      if (!(e instanceof OpError) || e.code !== "identity_failed") throw e;
      // The server refused a recorded property (a value it does not accept): the restore would stop here too.
      const why = e.message.replace(/\. Nothing was swapped; the staging database is dropped\.$/, "");
      throw new OpError("properties_differ", `${why}. A restore of this backup would stop at the same point, before its swap.`, { differences: [why] });
    }
    const got = await readIdentity(sql, scratch);
    if (!got) throw new OpError("db_missing", `The scratch database ${scratch} disappeared.`);
    return identityDiff(got, plan.expected);
  }).catch((e: unknown) => {
    if (e instanceof OpError) throw e;
    throw connectionError(e, target);
  });
  if (differences.length) {
    const words = differences.map((d) => `${d.label}: recorded ${d.to}, restored ${d.from}`);
    for (const w of words) ctx.log(`database properties: DIFFERS ${w}`);
    throw new OpError(
      "properties_differ",
      `The restored copy does not have the database properties recorded with the backup — ${words.slice(0, 5).join("; ")}${words.length > 5 ? "; …" : ""}. A restore of this backup would stop at the same point, before its swap.`,
      { differences: words },
    );
  }
  ctx.log(`database properties match the backup's record: ${scope.compared.join(", ")}; not compared: ${scope.notCompared.join("; ")}`);
  return scope;
}
