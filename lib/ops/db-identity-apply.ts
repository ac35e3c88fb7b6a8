import type postgres from "postgres";
import type { OpContext } from "./context";
import { settingClause, type DbIdentity } from "./db-identity";
import { OpError } from "./errors";
import { assertDbName, quoteCatalogName, quoteIdent } from "./identifiers";

// Applying a recorded database identity to a staging database, and saying up front what the connecting
// role may not apply. Everything here runs from the maintenance database (ALTER DATABASE cannot name the
// database it is connected to for some commands, and never should for a rename).

/** What the connecting role may do, read from the catalogs. */
export interface RoleFacts {
  user: string;
  superuser: boolean;
  createrole: boolean;
  /** Roles (among those asked about) that exist. */
  existing: string[];
  /** Roles (among those asked about) the user is a member of (may SET ROLE to / act as). */
  memberOf: string[];
  /** Roles (among those asked about) that are superusers. */
  superRoles: string[];
  /** Settings (among those asked about) the user may not set: superuser-only and not granted. */
  restrictedSettings: string[];
}

export async function readRoleFacts(sql: postgres.Sql, roles: string[], settings: string[]): Promise<RoleFacts> {
  const [me] = await sql<{ user: string; superuser: boolean; createrole: boolean }[]>`
    SELECT current_user AS user, rolsuper AS superuser, rolcreaterole AS createrole FROM pg_roles WHERE rolname = current_user`;
  const known = await sql<{ name: string; member: boolean; sup: boolean }[]>`
    SELECT r.rolname AS name, pg_has_role(current_user, r.oid, 'MEMBER') AS member, r.rolsuper AS sup
    FROM pg_roles r WHERE r.rolname = ANY(${roles}::text[])`;
  // has_parameter_privilege exists from PostgreSQL 15; before it only superusers set superuser-context settings.
  const [{ num } = { num: 0 }] = await sql<{ num: number }[]>`SELECT current_setting('server_version_num')::int AS num`;
  // A name pg_settings does not know is a placeholder (a custom setting such as app.tenant): PostgreSQL
  // lets only superusers store it with ALTER … SET, unless SET on it was granted.
  const restricted = await sql<{ name: string }[]>`
    SELECT n.name FROM unnest(${settings.map((x) => x.toLowerCase())}::text[]) AS n(name)
      LEFT JOIN pg_settings s ON lower(s.name) = n.name
    WHERE (s.name IS NULL OR s.context <> 'user')
      ${num >= 150000 ? sql`AND NOT has_parameter_privilege(n.name, 'SET')` : sql``}`;
  return {
    user: me!.user,
    superuser: me!.superuser,
    createrole: me!.createrole,
    existing: known.map((k) => k.name),
    memberOf: known.filter((k) => k.member).map((k) => k.name),
    superRoles: known.filter((k) => k.sup).map((k) => k.name),
    restrictedSettings: me!.superuser ? [] : restricted.map((r) => r.name),
  };
}

/** Which recorded property a NotKept is about: what applyIdentity and the expected identity skip. */
export type NotKeptKey =
  | { kind: "owner" }
  | { kind: "setting"; name: string }
  | { kind: "role_settings"; role: string }
  | { kind: "acl"; privilege: string; grantee: string };

export interface NotKept {
  label: string;
  reason: string;
  fix: string;
  /** Absent for what is not a database property (object owners and grants, handled by the restore). */
  key?: NotKeptKey;
}

const keyText = (k: NotKeptKey) => JSON.stringify(k.kind === "owner" ? [k.kind] : k.kind === "setting" ? [k.kind, k.name] : k.kind === "role_settings" ? [k.kind, k.role] : [k.kind, k.privilege, k.grantee]);

/** Asks whether a property is among what cannot be kept, by its typed key (never by the label's words). */
export function notKeptSet(notKept: NotKept[]) {
  const keys = new Set(notKept.flatMap((n) => (n.key ? [keyText(n.key)] : [])));
  return {
    owner: () => keys.has(keyText({ kind: "owner" })),
    setting: (name: string) => keys.has(keyText({ kind: "setting", name })),
    roleSettings: (role: string) => keys.has(keyText({ kind: "role_settings", role })),
    acl: (privilege: string, grantee: string) => keys.has(keyText({ kind: "acl", privilege, grantee })),
  };
}

/** Roles and setting names an identity refers to: what readRoleFacts must be asked about. */
export function identityReferences(id: DbIdentity, objectRoles: string[] = []): { roles: string[]; settings: string[] } {
  const roles = new Set<string>([id.owner, ...objectRoles, ...id.roleSettings.map((r) => r.role), ...(id.acl ?? []).map((g) => g.grantee).filter((g) => g !== "PUBLIC")]);
  const settings = new Set<string>([...id.settings, ...id.roleSettings.flatMap((r) => r.settings)].map((e) => e.slice(0, Math.max(0, e.indexOf("=")))));
  return { roles: [...roles], settings: [...settings].filter(Boolean) };
}

/**
 * What of `id` the connecting role cannot apply to a database it creates, each with the fix. Pure, so
 * the plan can list it before anyone confirms.
 */
export function identityNotKept(id: DbIdentity, f: RoleFacts): NotKept[] {
  const out: NotKept[] = [];
  const exists = (r: string) => f.existing.includes(r);
  const asSuper = `run Lifeboat's connection for this app as a role that may (a superuser)`;
  if (id.owner !== f.user && !f.superuser && !(exists(id.owner) && f.memberOf.includes(id.owner))) {
    out.push({
      label: `database owner ${id.owner}`,
      reason: exists(id.owner) ? `${f.user} is not a member of ${id.owner}` : `the role ${id.owner} no longer exists`,
      fix: exists(id.owner) ? `GRANT ${quoteCatalogName(id.owner)} TO ${quoteCatalogName(f.user)}; or ${asSuper}` : `create the role ${id.owner}, or accept ${f.user} as owner`,
      key: { kind: "owner" },
    });
  }
  for (const entry of id.settings) {
    const name = entry.slice(0, entry.indexOf("="));
    if (f.restrictedSettings.includes(name.toLowerCase())) {
      out.push({ label: `setting ${name}`, reason: `only a superuser (or a role granted SET on it) may set ${name}`, fix: `GRANT SET ON PARAMETER ${name} TO ${quoteCatalogName(f.user)}; or ${asSuper}`, key: { kind: "setting", name } });
    }
  }
  for (const rs of id.roleSettings) {
    const label = `settings for role ${rs.role} (${rs.settings.join("; ")})`;
    const key = { kind: "role_settings", role: rs.role } as const;
    if (!exists(rs.role)) {
      out.push({ label, reason: `the role ${rs.role} no longer exists`, fix: `create the role ${rs.role} and set them again`, key });
    } else if (rs.role !== f.user && !f.superuser && !(f.createrole && !f.superRoles.includes(rs.role))) {
      out.push({ label, reason: `${f.user} may set session defaults only for itself`, fix: `ALTER ROLE ${quoteCatalogName(f.user)} CREATEROLE; or ${asSuper}`, key });
    }
  }
  for (const g of id.acl ?? []) {
    if (g.grantee !== "PUBLIC" && !exists(g.grantee)) {
      out.push({ label: `database privilege ${g.privilege} for ${g.grantee}`, reason: `the role ${g.grantee} no longer exists`, fix: `create the role ${g.grantee}`, key: { kind: "acl", privilege: g.privilege, grantee: g.grantee } });
    }
  }
  return out;
}

/**
 * Gives `db` (a staging database this run created) the recorded properties, skipping what `notKept`
 * names. Run as the database's owner from the maintenance database.
 */
export async function applyIdentity(sql: postgres.Sql, db: string, id: DbIdentity, notKept: NotKept[], ctx: OpContext): Promise<string[]> {
  assertDbName(db);
  const skip = notKeptSet(notKept);
  const d = quoteIdent(db);
  const done: string[] = [];
  const run = async (what: string, text: string) => {
    try {
      await sql.unsafe(text);
      done.push(what);
    } catch (e) {
      throw new OpError("identity_failed", `Could not give ${db} its recorded ${what}: ${(e as Error).message}. Nothing was swapped; the staging database is dropped.`);
    }
  };
  for (const entry of id.settings) {
    const name = entry.slice(0, entry.indexOf("="));
    if (!skip.setting(name)) await run(`setting ${name}`, `ALTER DATABASE ${d} SET ${settingClause(entry)}`);
  }
  for (const rs of id.roleSettings) {
    if (skip.roleSettings(rs.role)) continue;
    for (const entry of rs.settings) await run(`setting for role ${rs.role}`, `ALTER ROLE ${quoteCatalogName(rs.role)} IN DATABASE ${d} SET ${settingClause(entry)}`);
  }
  await run("comment", `COMMENT ON DATABASE ${d} IS ${id.comment === null ? "NULL" : `'${id.comment.replace(/'/g, "''")}'`}`);
  await run("connection limit", `ALTER DATABASE ${d} CONNECTION LIMIT ${Math.trunc(id.connLimit)}`);
  if (id.acl) {
    // From the default ACL to exactly the recorded one: revoke what the default grants, then grant each entry.
    const [{ owner } = { owner: "" }] = await sql<{ owner: string }[]>`SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = ${db}`;
    await run("privileges", `REVOKE ALL ON DATABASE ${d} FROM PUBLIC`);
    await run("privileges", `REVOKE ALL ON DATABASE ${d} FROM ${quoteCatalogName(owner)}`);
    const recordedOwner = id.owner;
    for (const g of id.acl) {
      if (skip.acl(g.privilege, g.grantee)) continue;
      // The recorded owner's own entry applies to whoever owns the copy if ownership cannot be kept.
      const grantee = g.grantee === "PUBLIC" ? "PUBLIC" : quoteCatalogName(g.grantee === recordedOwner && skip.owner() ? owner : g.grantee);
      if (!/^[A-Z ]+$/.test(g.privilege)) throw new OpError("invalid_identity", `Unexpected privilege name ${JSON.stringify(g.privilege)} in the recorded properties.`);
      await run("privileges", `GRANT ${g.privilege} ON DATABASE ${d} TO ${grantee}${g.grantable ? " WITH GRANT OPTION" : ""}`);
    }
  }
  // Last: after it, the connecting role may no longer be the owner.
  if (!skip.owner()) await run("owner", `ALTER DATABASE ${d} OWNER TO ${quoteCatalogName(id.owner)}`);
  ctx.log(`gave ${db} the recorded database properties (${[...new Set(done)].join(", ") || "nothing to set"})`);
  for (const n of notKept) ctx.log(`not kept: ${n.label} — ${n.reason}; fix: ${n.fix}`);
  return [...new Set(done)];
}
