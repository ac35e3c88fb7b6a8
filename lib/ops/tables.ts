import type postgres from "postgres";

/** An ordinary table of the connected database: its display name and its name quoted by the server. */
export interface UserTable {
  display: string;
  /** `format('%I.%I')`: exact for any name (postgres.js's sql() helper splits names on dots). */
  quoted: string;
}

/** Every ordinary (non-system) table of the database `sql` is connected to, sorted by schema and name. */
export async function listUserTables(sql: postgres.Sql): Promise<UserTable[]> {
  return sql<UserTable[]>`
    SELECT n.nspname || '.' || c.relname AS display, format('%I.%I', n.nspname, c.relname) AS quoted
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r'
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
    ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"`;
}
