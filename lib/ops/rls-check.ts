import type postgres from "postgres";
import { displayIdent } from "./catalog";
import { OpError } from "./errors";

// pg_dump runs with row_security = off: a table row-level security applies to (RLS enabled and the role
// does not own it, or FORCE ROW LEVEL SECURITY even for the owner) makes it fail with "query would be
// affected by row-level security policy" — unless the role is a superuser or has BYPASSRLS. The way around
// it, --enable-row-security, dumps only the rows the role may see: an incomplete backup, never used. So
// the dump is refused before it starts, naming the tables and the fix (POSTGRES-SAFETY: beyond contents).

export interface RlsTable {
  table: string;
  owner: string;
  forced: boolean;
  /** The role has the owner's privileges (RLS then applies only when forced). */
  ownedByRole: boolean;
}

export interface RlsRoleFacts {
  role: string;
  superuser: boolean;
  bypassRls: boolean;
}

/** The tables whose rows pg_dump would not be allowed to read as this role (pure). */
export function rlsBlockedTables(tables: readonly RlsTable[], facts: RlsRoleFacts): RlsTable[] {
  if (facts.superuser || facts.bypassRls) return [];
  return tables.filter((t) => t.forced || !t.ownedByRole);
}

/** The refusal: which tables, and what makes the dump possible (the first fix is the usual one). */
export function rlsRefusal(blocked: readonly RlsTable[], role: string): OpError {
  const list = blocked.slice(0, 10).map((t) => `${t.table}${t.forced ? " (FORCE ROW LEVEL SECURITY)" : ` (row-level security, owned by ${t.owner})`}`);
  const more = blocked.length > 10 ? ` and ${blocked.length - 10} more` : "";
  return new OpError(
    "rls_blocks_dump",
    `A dump as "${role}" would fail or miss rows: row-level security applies to ${list.join(", ")}${more}, and "${role}" does not bypass it. ` +
      `Nothing was dumped. Fix: as a superuser run ALTER ROLE ${displayIdent(role)} BYPASSRLS; — or take a clone backup instead (a clone copies every row). ` +
      `Lifeboat never dumps with --enable-row-security: that writes only the rows the role can see.`,
    { tables: blocked.map((t) => t.table) },
  );
}

/** Row-level-security tables of the connected database (not those of extensions, which pg_dump skips). */
export async function readRlsFacts(sql: postgres.Sql): Promise<{ tables: RlsTable[]; facts: RlsRoleFacts }> {
  const tables = await sql<RlsTable[]>`
    SELECT format('%I.%I', n.nspname, c.relname) AS "table", pg_get_userbyid(c.relowner) AS owner,
           c.relforcerowsecurity AS forced, pg_has_role(c.relowner, 'USAGE') AS "ownedByRole"
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND c.relrowsecurity
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
    ORDER BY 1`;
  const [me] = await sql<RlsRoleFacts[]>`
    SELECT current_user AS role, rolsuper AS superuser, rolbypassrls AS "bypassRls" FROM pg_roles WHERE rolname = current_user`;
  return { tables, facts: me! };
}

/** Throws rls_blocks_dump when a dump of the connected database as the connected role would not be complete. */
export async function assertDumpNotBlockedByRls(sql: postgres.Sql): Promise<void> {
  const { tables, facts } = await readRlsFacts(sql);
  const blocked = rlsBlockedTables(tables, facts);
  if (blocked.length) throw rlsRefusal(blocked, facts.role);
}
