// Turning raw action/API input into something zod can parse, and into something safe to keep in the audit log.

/**
 * FormData → plain object. Repeated keys become arrays (checkbox groups, multi-selects); Next's own
 * `$ACTION_…` fields are dropped. Values stay strings: schemas use z.coerce / preprocess for numbers and booleans.
 */
export function formDataToObject(form: FormData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of form.entries()) {
    if (key.startsWith("$ACTION")) continue;
    if (Object.hasOwn(out, key)) {
      const prev = out[key];
      out[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** URLSearchParams → plain object, repeated keys as arrays. */
export function searchParamsToObject(params: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of params.entries()) {
    const prev = out[key];
    out[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

// Keys whose values are never written to the audit log. Matched per word of the key, so `dbPassword`,
// `api_token`, `connectionString` and `healthUrl` are caught while `backupId` or `monkey` are not.
const SECRET_WORDS = new Set([
  "password", "passwd", "pw", "pwd", "pass", "secret", "token", "url", "uri", "dsn", "connection", "conn",
  "connstr", "conninfo", "key", "apikey", "auth", "authorization", "cookie", "credential", "credentials",
  "env", "private",
]);

function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

export function isSecretKey(key: string): boolean {
  const words = keyWords(key);
  return words.some((w) => SECRET_WORDS.has(w)) || SECRET_WORDS.has(words.join(""));
}

export const REDACTED = "[redacted]";
const MAX_STRING = 500;
const MAX_DEPTH = 5;
const MAX_ITEMS = 50;

/**
 * Removes credentials that hide inside free text: `user:password@` in URLs and `password=…` pairs in
 * connection strings. Used on audit params and on anything logged.
 */
export function scrubText(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]*@/gi, "$1:****@")
    .replace(/\b(password|passwd|pwd|secret|token)\s*=\s*('[^']*'|"[^"]*"|\S+)/gi, "$1=****")
    .replace(/\bBearer\s+[A-Za-z0-9._~+/=-]+/g, "Bearer ****");
}

/**
 * A copy of action/API params fit for the audit log: values under secret-looking keys replaced by
 * "[redacted]" (so the log still says a password was set, never what it was), credentials inside strings
 * masked, files reduced to name and size, long strings and lists cut.
 */
export function scrubParams(input: unknown): Record<string, unknown> {
  const value = scrubValue(input, 0);
  if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  return value === undefined ? {} : { value };
}

function scrubValue(value: unknown, depth: number): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === "string") {
    const s = scrubText(value);
    return s.length > MAX_STRING ? `${s.slice(0, MAX_STRING)}…` : s;
  }
  if (typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (typeof Blob !== "undefined" && value instanceof Blob) {
    const name = (value as Blob & { name?: string }).name;
    return `[file${name ? ` ${scrubText(name)}` : ""}, ${value.size} bytes]`;
  }
  if (typeof FormData !== "undefined" && value instanceof FormData) return scrubValue(formDataToObject(value), depth);
  if (depth >= MAX_DEPTH) return "[…]";
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => scrubValue(v, depth + 1));
    return value.length > MAX_ITEMS ? [...items, `… ${value.length - MAX_ITEMS} more`] : items;
  }
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === "function" || typeof v === "symbol") continue;
      if (isSecretKey(k)) {
        if (v !== undefined && v !== null && v !== "") out[k] = REDACTED;
        continue;
      }
      out[k] = scrubValue(v, depth + 1);
    }
    return out;
  }
  return undefined;
}

/** Errors for the server log: name, message and stack with credentials masked. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return scrubText(error.stack ?? `${error.name}: ${error.message}`);
  try {
    return scrubText(JSON.stringify(error));
  } catch {
    return scrubText(String(error));
  }
}
