import crypto from "node:crypto";
import type postgres from "postgres";
import { z } from "zod";

// A fingerprint of a database's contents, taken when a backup is made and compared with the staging
// database before a swap: the schema from the catalogs (each object's definition as the server prints it,
// so a trigger whose WHEN came back comparing text instead of citext differs), each object's owner and
// privileges, and exact row counts. Sequence positions, statistics and physical layout are not compared.

export const fingerprintSchema = z.object({
  version: z.literal(1),
  /** key ("trigger public.orders.audit") → md5 of its definition */
  objects: z.record(z.string(), z.string()),
  /** key → owning role */
  owners: z.record(z.string(), z.string()),
  /** `ALTER <clause> OWNER TO` clause (names quoted by the server) → owner: how ownership is given back */
  ownership: z.record(z.string(), z.string()).default({}),
  /** trigger key → how to drop it and re-create it as it was (pg_dump's text does not always, see restore-fidelity) */
  triggers: z.record(z.string(), z.object({ drop: z.string(), create: z.string() })).default({}),
  /** key → privileges as the server prints them (aclitem[]); absent = default */
  acls: z.record(z.string(), z.string()),
  /** "schema.table" → exact row count; null when rows were not counted */
  rows: z.record(z.string(), z.number()).nullable(),
  /** Tables this role could not read in full (no SELECT, forced row security): not counted. */
  uncounted: z.array(z.string()).default([]),
  /** materialized views "schema.name" (their rows are in `rows` too) */
  matviews: z.array(z.string()),
  largeObjects: z.number().nullable(),
});
export type Fingerprint = z.infer<typeof fingerprintSchema>;

/** A fingerprint with the full definitions kept (not stored): what a difference is shown with. */
export interface FingerprintWithText extends Fingerprint {
  text: Record<string, string>;
}

const USER_NS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'`;
// Objects that belong to an extension are the extension's (compared through its version), not the dump's.
const notExt = (cls: string, col: string) => `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '${cls}'::regclass AND e.objid = ${col} AND e.deptype = 'e')`;

// One row per object: key, definition, owner, acl. Every name is printed by the server, never built here.
const OBJECTS_SQL = `
SELECT 'schema ' || n.nspname AS key, coalesce(obj_description(n.oid, 'pg_namespace'), '') AS def,
       pg_get_userbyid(n.nspowner) AS owner, n.nspacl::text AS acl
  FROM pg_namespace n WHERE ${USER_NS} AND ${notExt("pg_namespace", "n.oid")}
UNION ALL
SELECT 'relation ' || n.nspname || '.' || c.relname,
       concat_ws(' | ', c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity, c.reloptions::text,
                 pg_get_partkeydef(c.oid), pg_get_expr(c.relpartbound, c.oid),
                 CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END,
                 (SELECT concat_ws(' ', s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmax, s.seqmin, s.seqcache, s.seqcycle)
                    FROM pg_sequence s WHERE s.seqrelid = c.oid),
                 obj_description(c.oid, 'pg_class')),
       pg_get_userbyid(c.relowner), c.relacl::text
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND ${USER_NS} AND ${notExt("pg_class", "c.oid")}
UNION ALL
SELECT 'column ' || n.nspname || '.' || c.relname || '.' || a.attname,
       concat_ws(' | ', row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum), format_type(a.atttypid, a.atttypmod),
                 a.attnotnull, a.attgenerated, a.attidentity, pg_get_expr(ad.adbin, ad.adrelid),
                 CASE WHEN a.attcollation <> 0 THEN (SELECT collname FROM pg_collation WHERE oid = a.attcollation) END,
                 col_description(c.oid, a.attnum)),
       NULL, a.attacl::text
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
 WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${USER_NS} AND ${notExt("pg_class", "c.oid")}
UNION ALL
SELECT 'constraint ' || n.nspname || '.' || coalesce(c.relname, t.typname) || '.' || k.conname,
       pg_get_constraintdef(k.oid) || CASE WHEN k.convalidated THEN '' ELSE ' NOT VALID' END, NULL, NULL
  FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
  LEFT JOIN pg_class c ON c.oid = k.conrelid LEFT JOIN pg_type t ON t.oid = k.contypid
 WHERE ${USER_NS} AND (c.oid IS NOT NULL OR t.oid IS NOT NULL) AND ${notExt("pg_constraint", "k.oid")}
UNION ALL
SELECT 'index ' || n.nspname || '.' || c.relname, pg_get_indexdef(c.oid), NULL, NULL
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE ${USER_NS} AND ${notExt("pg_class", "i.indrelid")}
UNION ALL
SELECT 'trigger ' || n.nspname || '.' || c.relname || '.' || tg.tgname, pg_get_triggerdef(tg.oid) || ' ' || tg.tgenabled::text, NULL, NULL
  FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT tg.tgisinternal AND ${USER_NS}
UNION ALL
SELECT 'policy ' || n.nspname || '.' || c.relname || '.' || p.polname,
       concat_ws(' | ', p.polcmd, p.polpermissive,
                 (SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(r) END, ',' ORDER BY 1) FROM unnest(p.polroles) r),
                 pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)), NULL, NULL
  FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE ${USER_NS}
UNION ALL
SELECT 'function ' || n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       concat_ws(' | ', p.prokind, CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) END, obj_description(p.oid, 'pg_proc')),
       pg_get_userbyid(p.proowner), p.proacl::text
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE ${USER_NS} AND ${notExt("pg_proc", "p.oid")}
UNION ALL
SELECT 'type ' || n.nspname || '.' || t.typname,
       concat_ws(' | ', t.typtype,
                 (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid),
                 CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END, t.typnotnull, t.typdefault,
                 obj_description(t.oid, 'pg_type')),
       pg_get_userbyid(t.typowner), t.typacl::text
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype IN ('e', 'd', 'r') AND ${USER_NS} AND ${notExt("pg_type", "t.oid")}
UNION ALL
SELECT 'extension ' || x.extname, x.extversion || ' in ' || n.nspname, NULL, NULL
  FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace WHERE x.extname <> 'plpgsql'`;

// Who owns what, as `ALTER <clause> OWNER TO` needs it, every name quoted by the server. Sequences owned by
// a column (serial, identity) follow their table; indexes follow theirs.
export const OWNERSHIP_SQL = `
SELECT 'SCHEMA ' || quote_ident(n.nspname) AS clause, pg_get_userbyid(n.nspowner) AS owner
  FROM pg_namespace n WHERE ${USER_NS} AND ${notExt("pg_namespace", "n.oid")}
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END
       || ' ' || format('%I.%I', n.nspname, c.relname), pg_get_userbyid(c.relowner)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND ${USER_NS} AND ${notExt("pg_class", "c.oid")}
   AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END || ' ' || p.oid::regprocedure::text, pg_get_userbyid(p.proowner)
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${USER_NS} AND ${notExt("pg_proc", "p.oid")}
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END || ' ' || format_type(t.oid, NULL), pg_get_userbyid(t.typowner)
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype IN ('e', 'd', 'r') AND ${USER_NS} AND ${notExt("pg_type", "t.oid")}`;

const TRIGGERS_SQL = `
SELECT 'trigger ' || n.nspname || '.' || c.relname || '.' || tg.tgname AS key,
       format('DROP TRIGGER %I ON %I.%I', tg.tgname, n.nspname, c.relname) AS drop, pg_get_triggerdef(tg.oid) AS create
  FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT tg.tgisinternal AND tg.tgparentid = 0 AND ${USER_NS}`;

const TABLES_SQL = `
SELECT n.nspname || '.' || c.relname AS name, format('%I.%I', n.nspname, c.relname) AS quoted, c.relkind = 'm' AS matview,
       c.relispopulated AS populated
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'm') AND ${USER_NS} AND ${notExt("pg_class", "c.oid")}
 ORDER BY 1`;

/**
 * The fingerprint of the database `sql` is connected to, read in the caller's transaction (a backup takes
 * it inside the snapshot pg_dump uses, so the counts are those of the dump). `rows: false` skips counting.
 */
export async function takeFingerprint(sql: Reader, opts: { rows: boolean }): Promise<FingerprintWithText> {
  // Deparsed definitions and regprocedure/format_type depend on search_path: print every name qualified.
  // So do constants in partition bounds and defaults (TimeZone, DateStyle…): fixed for both sides.
  await sql`SET LOCAL search_path = pg_catalog`;
  await sql`SET LOCAL timezone = 'UTC'`;
  await sql`SET LOCAL datestyle = 'ISO, YMD'`;
  await sql`SET LOCAL intervalstyle = 'postgres'`;
  await sql`SET LOCAL extra_float_digits = 3`;
  const objects: Record<string, string> = {};
  const text: Record<string, string> = {};
  const ownership: Record<string, string> = {};
  for (const o of await sql.unsafe<{ clause: string; owner: string }[]>(OWNERSHIP_SQL)) ownership[o.clause] = o.owner;
  const owners: Record<string, string> = {};
  const acls: Record<string, string> = {};
  for (const o of await sql.unsafe<{ key: string; def: string | null; owner: string | null; acl: string | null }[]>(OBJECTS_SQL)) {
    const def = o.def ?? "";
    objects[o.key] = crypto.createHash("md5").update(def).digest("hex");
    text[o.key] = def;
    if (o.owner) owners[o.key] = o.owner;
    if (o.acl) acls[o.key] = o.acl;
  }
  const triggers: Record<string, { drop: string; create: string }> = {};
  for (const t of await sql.unsafe<{ key: string; drop: string; create: string }[]>(TRIGGERS_SQL)) triggers[t.key] = { drop: t.drop, create: t.create };
  const tables = await sql.unsafe<Table[]>(TABLES_SQL);
  const counted = opts.rows ? await countRows(sql, tables) : { rows: null, uncounted: [], largeObjects: null };
  return { version: 1, objects, owners, acls, ownership, triggers, ...counted, matviews: tables.filter((t) => t.matview).map((t) => t.name), text };
}

/** A connection inside a transaction: a reserved one with BEGIN written by hand, or sql.begin()'s. */
type Reader = postgres.Sql | postgres.TransactionSql;

type Table = { name: string; quoted: string; matview: boolean; populated: boolean };

/** Exact row counts of every table and materialized view, and the number of large objects, in `sql`'s transaction. */
export async function countRows(
  sql: Reader,
  tables?: Table[],
): Promise<Pick<Fingerprint, "rows" | "uncounted" | "largeObjects">> {
  const list = tables ?? (await sql.unsafe<Table[]>(TABLES_SQL));
  // A table this role may not read in full — no SELECT, or row security that applies to it (forced, or
  // another owner's) without BYPASSRLS — is left uncounted, on both sides alike. Decided up front rather
  // than by catching errors: a savepoint's rollback written after the server ended the session crashes
  // postgres.js (null socket) instead of failing the query.
  const readable = new Set(
    (
      await sql.unsafe<{ name: string }[]>(`
        SELECT n.nspname || '.' || c.relname AS name
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, pg_roles me
         WHERE me.rolname = current_user AND c.relkind IN ('r', 'm') AND ${USER_NS}
           AND has_table_privilege(c.oid, 'SELECT')
           AND (me.rolsuper OR me.rolbypassrls OR NOT c.relrowsecurity
                OR (NOT c.relforcerowsecurity AND pg_has_role(c.relowner, 'USAGE')))`)
    ).map((r) => r.name),
  );
  const rows: Record<string, number> = {};
  const uncounted: string[] = [];
  for (const t of list) {
    if (!t.populated) continue;
    if (!readable.has(t.name)) {
      uncounted.push(t.name);
      continue;
    }
    // t.quoted was quoted by the server (format('%I.%I')).
    const [r] = await sql.unsafe<{ n: string }[]>(`SELECT count(*)::text AS n FROM ${t.quoted}`);
    rows[t.name] = Number(r!.n);
  }
  const [lo] = await sql.unsafe<{ n: string }[]>(`SELECT count(*)::text AS n FROM pg_largeobject_metadata`);
  return { rows, uncounted, largeObjects: Number(lo!.n) };
}

/** The stored form (definitions as hashes only). */
export function storedFingerprint(f: FingerprintWithText): Fingerprint {
  const { text: _text, ...stored } = f;
  return stored;
}

/** Roles that own objects and roles that were granted something: what keeping ownership and grants needs. */
export function fingerprintRoles(f: Fingerprint): { owners: string[]; grantees: string[] } {
  const grantees = new Set<string>();
  for (const acl of Object.values(f.acls)) {
    for (const item of acl.replace(/^\{|\}$/g, "").split(",")) {
      const who = item.split("=")[0]!.replace(/^"|"$/g, "").replace(/""/g, '"');
      if (who) grantees.add(who);
    }
  }
  return { owners: [...new Set(Object.values(f.owners))].sort(), grantees: [...grantees].sort() };
}

export interface FidelityDifference {
  kind: "schema" | "owner" | "privileges" | "rows" | "large objects";
  what: string;
  backup: string;
  staging: string;
  /** Set when the plan named this effect in advance: reported, not a failure. */
  explained?: string;
}

export interface CompareOptions {
  /** A dump restore re-derives materialized views from the restored tables (REFRESH at the end). */
  matviewsRefreshed: boolean;
  ownersKept: boolean;
  aclsKept: boolean;
}

/** Every difference between the backup's fingerprint and the staging database's, explained ones marked. Pure. */
export function compareFingerprints(backup: Fingerprint, staging: FingerprintWithText, o: CompareOptions): FidelityDifference[] {
  const out: FidelityDifference[] = [];
  const keys = (a: Record<string, string>, b: Record<string, string>) => [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const k of keys(backup.objects, staging.objects)) {
    const a = backup.objects[k];
    const b = staging.objects[k];
    if (a === b) continue;
    out.push({ kind: "schema", what: k, backup: a ? "as backed up" : "absent", staging: b === undefined ? "absent" : clip(staging.text[k] ?? "") || "(differs)" });
  }
  for (const k of keys(backup.owners, staging.owners)) {
    if (!(k in backup.objects) || !(k in staging.objects) || backup.owners[k] === staging.owners[k]) continue;
    out.push({ kind: "owner", what: k, backup: backup.owners[k] ?? "-", staging: staging.owners[k] ?? "-", explained: o.ownersKept ? undefined : "ownership could not be kept (named in the plan)" });
  }
  for (const k of keys(backup.acls, staging.acls)) {
    if (!(k in backup.objects) || !(k in staging.objects) || backup.acls[k] === staging.acls[k]) continue;
    const explained = !o.aclsKept ? "grants could not be kept (named in the plan)" : !o.ownersKept ? "grants follow the new owner (named in the plan)" : undefined;
    out.push({ kind: "privileges", what: k, backup: backup.acls[k] ?? "default", staging: staging.acls[k] ?? "default", explained });
  }
  if (backup.rows && staging.rows) {
    const skip = new Set([...backup.uncounted, ...staging.uncounted]);
    for (const t of [...new Set([...Object.keys(backup.rows), ...Object.keys(staging.rows)])].sort()) {
      if (skip.has(t)) continue;
      const a = backup.rows[t];
      const b = staging.rows[t];
      if (a === b) continue;
      const mv = backup.matviews.includes(t) && o.matviewsRefreshed;
      out.push({
        kind: "rows",
        what: t,
        backup: a === undefined ? "absent" : String(a),
        staging: b === undefined ? "absent" : String(b),
        explained: mv ? "materialized view refreshed from the restored tables (pg_restore)" : undefined,
      });
    }
  }
  if (backup.largeObjects !== null && staging.largeObjects !== null && backup.largeObjects !== staging.largeObjects) {
    out.push({ kind: "large objects", what: "large objects", backup: String(backup.largeObjects), staging: String(staging.largeObjects) });
  }
  return out;
}

function clip(s: string): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > 200 ? `${one.slice(0, 197)}…` : one;
}
