// Telling "Lifeboat cannot reach its own database" apart from every other failure, so pages can say so (issue 6
// finding 5) instead of showing a generic error. Next strips an error's message on its way to the browser but
// keeps its digest: the mark travels as the digest.

export const METADATA_UNREACHABLE_DIGEST = "LIFEBOAT_METADATA_UNREACHABLE";

// Node socket errors, postgres.js connection errors, and PostgreSQL codes meaning "no usable session":
// 57P01-03 shutdown / cannot connect now, 53300 too many connections, 3D000 database missing, 28xxx refused login.
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE",
  "CONNECT_TIMEOUT", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED",
  "57P01", "57P02", "57P03", "53300", "3D000", "28000", "28P01",
]);

/** Whether this error, or one it wraps (drizzle wraps the driver's error as `cause`), means the metadata database is unreachable. */
export function isMetadataUnreachable(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e && typeof e === "object"; depth++) {
    const { code, errors } = e as { code?: unknown; errors?: unknown };
    if (typeof code === "string" && UNREACHABLE_CODES.has(code)) return true;
    // Node's AggregateError for a host with several addresses (::1 and 127.0.0.1 both refused).
    if (Array.isArray(errors) && errors.some((x) => isMetadataUnreachable(x))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Marks an unreachable-metadata error for the error pages (app/error.tsx, app/global-error.tsx) and returns it. */
export function markMetadataUnreachable<E>(error: E): E {
  if (isMetadataUnreachable(error) && error && typeof error === "object") {
    try {
      (error as { digest?: string }).digest = METADATA_UNREACHABLE_DIGEST;
    } catch {
      // A frozen error keeps its own digest; the page then shows the generic error.
    }
  }
  return error;
}
