import { OpError } from "./errors";

// PostgreSQL truncates identifiers longer than 63 bytes with only a NOTICE, so we check the length ourselves:
// a silently truncated backup name could collide with the previous backup's.
export const MAX_IDENTIFIER_BYTES = 63;
const DB_NAME = /^[a-z_][a-z0-9_]*$/;

export function isValidDbName(name: string): boolean {
  return DB_NAME.test(name) && Buffer.byteLength(name) <= MAX_IDENTIFIER_BYTES;
}

export function assertDbName(name: string, what = "database name"): string {
  if (!isValidDbName(name)) {
    throw new OpError(
      "invalid_identifier",
      `Invalid ${what} "${name.slice(0, 80)}": use lower-case letters, digits and _, starting with a letter or _, at most ${MAX_IDENTIFIER_BYTES} bytes.`,
    );
  }
  return name;
}

/** Quotes a validated identifier for SQL. Validation first: no string-built SQL for anything unvalidated. */
export function quoteIdent(name: string): string {
  assertDbName(name);
  return `"${name}"`;
}

/**
 * Quotes a name the server itself reported — a role, a setting — which need not follow Lifeboat's database
 * name rule ("TimeZone", "App Owner"): quotes doubled, NUL and over-long names refused.
 */
export function quoteCatalogName(name: string): string {
  if (!name || name.includes("\0") || Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES) {
    throw new OpError("invalid_identifier", `Not a PostgreSQL name: ${JSON.stringify(name.slice(0, 80))}.`);
  }
  return `"${name.replace(/"/g, '""')}"`;
}
