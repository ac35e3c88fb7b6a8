import type postgres from "postgres";
import { z } from "zod";
import { assertDbName, quoteCatalogName } from "./identifiers";

// What a database is beyond its contents (POSTGRES-SAFETY.md, last section): encoding and locale, owner,
// comment, connection limit, ACL, `ALTER DATABASE … SET` and `ALTER ROLE … IN DATABASE … SET`. None of it
// travels with CREATE DATABASE … TEMPLATE or with pg_dump without --create, so Lifeboat records it with
// every backup and applies it to the staging database before the swap.

const grant = z.object({ grantee: z.string(), privilege: z.string(), grantable: z.boolean() });

export const dbIdentitySchema = z.object({
  encoding: z.string(),
  /** `c` (libc) or `i` (ICU); `d` (builtin) on PostgreSQL 17+. */
  localeProvider: z.string(),
  collate: z.string(),
  ctype: z.string(),
  /** The ICU locale (daticulocale, datlocale from 17 on); null for libc. */
  iculocale: z.string().nullable(),
  owner: z.string(),
  comment: z.string().nullable(),
  connLimit: z.number().int(),
  /** null: the default ACL (PUBLIC may connect and create temporary tables). */
  acl: z.array(grant).nullable(),
  /** `ALTER DATABASE … SET`, as pg_db_role_setting stores them (`name=value`). */
  settings: z.array(z.string()),
  /** `ALTER ROLE r IN DATABASE … SET`. */
  roleSettings: z.array(z.object({ role: z.string(), settings: z.array(z.string()) })),
});
export type DbIdentity = z.infer<typeof dbIdentitySchema>;
export type DbGrant = z.infer<typeof grant>;

/** The identity of `db`, read through any connection to the same server (the catalogs used are shared). */
export async function readIdentity(sql: postgres.Sql, db: string): Promise<DbIdentity | null> {
  assertDbName(db);
  // to_jsonb(d): the locale columns were renamed across versions (daticulocale → datlocale in 17).
  const [row] = await sql<
    {
      d: Record<string, unknown>;
      encoding: string;
      owner: string;
      comment: string | null;
      acl: DbGrant[] | null;
      settings: string[] | null;
      role_settings: { role: string; settings: string[] }[] | null;
    }[]
  >`
    SELECT to_jsonb(d) - 'datfrozenxid' - 'datminmxid' AS d,
           pg_encoding_to_char(d.encoding) AS encoding,
           pg_get_userbyid(d.datdba) AS owner,
           shobj_description(d.oid, 'pg_database') AS comment,
           CASE WHEN d.datacl IS NULL THEN NULL ELSE (
             SELECT coalesce(json_agg(json_build_object(
                      'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
                      'privilege', a.privilege_type, 'grantable', a.is_grantable)
                    ORDER BY a.grantee, a.privilege_type), '[]'::json)
             FROM aclexplode(d.datacl) a) END AS acl,
           (SELECT s.setconfig FROM pg_db_role_setting s WHERE s.setdatabase = d.oid AND s.setrole = 0) AS settings,
           (SELECT json_agg(json_build_object('role', pg_get_userbyid(s.setrole), 'settings', s.setconfig) ORDER BY pg_get_userbyid(s.setrole))
              FROM pg_db_role_setting s WHERE s.setdatabase = d.oid AND s.setrole <> 0) AS role_settings
    FROM pg_database d WHERE d.datname = ${db}`;
  if (!row) return null;
  const d = row.d;
  const provider = typeof d.datlocprovider === "string" ? d.datlocprovider : "c";
  const icu = (d.daticulocale ?? d.datlocale ?? null) as string | null;
  return {
    encoding: row.encoding,
    localeProvider: provider,
    collate: String(d.datcollate ?? ""),
    ctype: String(d.datctype ?? ""),
    iculocale: provider === "c" ? null : icu,
    owner: row.owner,
    comment: row.comment,
    connLimit: Number(d.datconnlimit ?? -1),
    acl: row.acl,
    settings: [...(row.settings ?? [])].sort(),
    roleSettings: (row.role_settings ?? []).map((r) => ({ role: r.role, settings: [...r.settings].sort() })),
  };
}

// ─── pure: CREATE DATABASE options, SET commands, differences ───────────────────────────────────────────────

function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * The locale part of `CREATE DATABASE … TEMPLATE template0`, so that a restored database sorts, compares
 * and computes generated columns as the original did. Only template0 accepts a locale other than its own.
 */
export function createDatabaseLocaleOptions(id: DbIdentity, serverVersionNum: number): string {
  const parts = [`ENCODING ${literal(id.encoding)}`, `LC_COLLATE ${literal(id.collate)}`, `LC_CTYPE ${literal(id.ctype)}`];
  if (serverVersionNum >= 150000) {
    if (id.localeProvider === "i") {
      parts.push("LOCALE_PROVIDER icu", `ICU_LOCALE ${literal(id.iculocale ?? "")}`);
    } else if (id.localeProvider === "c") {
      parts.push("LOCALE_PROVIDER libc");
    } else if (id.localeProvider === "b" && serverVersionNum >= 170000) {
      parts.push("LOCALE_PROVIDER builtin", `BUILTIN_LOCALE ${literal(id.iculocale ?? "C")}`);
    }
  }
  return parts.join(" ");
}

// Settings whose value is a list of identifiers (pg_dump's variable_is_guc_list_quote): pg_db_role_setting
// holds them flattened (`"$user", public`), and each element must be given as its own literal again.
const LIST_SETTINGS = new Set(["local_preload_libraries", "search_path", "session_preload_libraries", "shared_preload_libraries", "temp_tablespaces", "unix_socket_directories"]);

/** Splits a flattened list setting like pg_dump's SplitGUCList: commas, optional double quotes with "" inside. */
export function splitListSetting(value: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = value.length;
  while (i < n) {
    while (i < n && /\s/.test(value[i]!)) i++;
    if (i >= n) break;
    let item = "";
    if (value[i] === '"') {
      i++;
      while (i < n) {
        if (value[i] === '"') {
          if (value[i + 1] === '"') {
            item += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        item += value[i++];
      }
    } else {
      while (i < n && value[i] !== ",") item += value[i++];
      item = item.trimEnd();
    }
    out.push(item);
    while (i < n && /\s/.test(value[i]!)) i++;
    if (value[i] === ",") i++;
  }
  return out;
}

/** `name TO value` for `ALTER DATABASE … SET`, from one pg_db_role_setting entry (`name=value`). */
export function settingClause(entry: string): string {
  const eq = entry.indexOf("=");
  if (eq <= 0) throw new Error(`not a setting: ${entry}`);
  const name = entry.slice(0, eq);
  const value = entry.slice(eq + 1);
  // Names are identifiers, possibly dotted (custom settings such as app.tenant): each part quoted.
  const quotedName = name.split(".").map(quoteCatalogName).join(".");
  const items = LIST_SETTINGS.has(name.toLowerCase()) ? splitListSetting(value) : [value];
  return `${quotedName} TO ${items.length ? items.map(literal).join(", ") : "''"}`;
}

export interface PropertyDiff {
  /** A stable key, e.g. "setting:search_path". */
  key: string;
  label: string;
  from: string;
  to: string;
}

function settingMap(entries: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of entries) {
    const eq = e.indexOf("=");
    if (eq > 0) m.set(e.slice(0, eq), e.slice(eq + 1));
  }
  return m;
}

function aclText(acl: DbGrant[] | null): string {
  if (!acl) return "default (PUBLIC may connect)";
  const by = new Map<string, string[]>();
  for (const g of acl) by.set(g.grantee, [...(by.get(g.grantee) ?? []), g.privilege + (g.grantable ? " WITH GRANT OPTION" : "")]);
  const parts = [...by.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([who, privs]) => `${who}: ${privs.sort().join(", ")}`);
  return parts.length ? parts.join("; ") : "nobody";
}

const none = "(not set)";

/**
 * Every property that differs between `from` (e.g. the live database now) and `to` (what a restore will
 * give it): what the plan shows as "search_path: app, public → public". Pure.
 */
export function identityDiff(from: DbIdentity, to: DbIdentity): PropertyDiff[] {
  const out: PropertyDiff[] = [];
  const add = (key: string, label: string, a: string, b: string) => {
    if (a !== b) out.push({ key, label, from: a, to: b });
  };
  add("encoding", "encoding", from.encoding, to.encoding);
  add("locale", "locale", localeText(from), localeText(to));
  add("owner", "owner", from.owner, to.owner);
  add("comment", "comment", from.comment ?? none, to.comment ?? none);
  add("connlimit", "connection limit", limitText(from.connLimit), limitText(to.connLimit));
  add("acl", "database privileges", aclText(from.acl), aclText(to.acl));
  const a = settingMap(from.settings);
  const b = settingMap(to.settings);
  for (const k of [...new Set([...a.keys(), ...b.keys()])].sort()) add(`setting:${k}`, k, a.get(k) ?? none, b.get(k) ?? none);
  const roles = [...new Set([...from.roleSettings.map((r) => r.role), ...to.roleSettings.map((r) => r.role)])].sort();
  for (const role of roles) {
    const ra = settingMap(from.roleSettings.find((r) => r.role === role)?.settings ?? []);
    const rb = settingMap(to.roleSettings.find((r) => r.role === role)?.settings ?? []);
    for (const k of [...new Set([...ra.keys(), ...rb.keys()])].sort()) add(`role:${role}:${k}`, `${k} for role ${role}`, ra.get(k) ?? none, rb.get(k) ?? none);
  }
  return out;
}

export function localeText(id: DbIdentity): string {
  if (id.localeProvider === "i") return `ICU ${id.iculocale ?? "?"} (collate ${id.collate})`;
  if (id.localeProvider === "b") return `builtin ${id.iculocale ?? "C"}`;
  return id.collate === id.ctype ? id.collate : `collate ${id.collate}, ctype ${id.ctype}`;
}

function limitText(n: number): string {
  return n < 0 ? "unlimited" : String(n);
}
