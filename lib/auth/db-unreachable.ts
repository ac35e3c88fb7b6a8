// Telling "Lifeboat's own database is down" apart from "wrong password", so sign-in can say so.

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "CONNECT_TIMEOUT", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED"]);
// PostgreSQL SQLSTATEs for "cannot serve you now": shutting down, starting up, too many connections,
// database missing, authentication failed, connection failures (class 08).
const PG_CODES = new Set(["57P01", "57P02", "57P03", "53300", "3D000", "28P01", "28000"]);

/** True when the error (or any cause below it: drizzle wraps driver errors) is the metadata database being unreachable. */
export function isMetadataUnreachable(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; e && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (NETWORK_CODES.has(code) || PG_CODES.has(code) || code.startsWith("08"))) return true;
    if (e instanceof AggregateError && e.errors.some((inner) => isMetadataUnreachable(inner))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export const METADATA_UNREACHABLE =
  "Lifeboat cannot reach its own database, so nobody can sign in right now (your attempt was not counted). " +
  "Check that the metadata PostgreSQL in DATABASE_URL is running and reachable from the Lifeboat host, then try again.";
