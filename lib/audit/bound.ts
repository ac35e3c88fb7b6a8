// What an audit entry may hold: bounded in keys, depth, string length and total size, with secrets scrubbed
// wherever they appear (keys, values, free text). Pure: used by recordAudit and unit-tested on its own.
import { isSecretKey, REDACTED } from "@/lib/actions/params";

export interface AuditBounds {
  maxKeys: number;
  maxDepth: number;
  maxItems: number;
  maxString: number;
  maxKeyLength: number;
  /** Total size of the params' JSON text, in bytes. */
  maxBytes: number;
  maxMessage: number;
  maxActor: number;
}

/** Signed-in callers, the CLI and jobs: complete enough to reconstruct what was asked. */
export const TRUSTED_BOUNDS: AuditBounds = {
  maxKeys: 40,
  maxDepth: 4,
  maxItems: 20,
  maxString: 500,
  maxKeyLength: 64,
  maxBytes: 4096,
  maxMessage: 2000,
  maxActor: 254,
};

/** Nobody signed in: whatever they sent is kept only as a short, truncated sample. */
export const UNTRUSTED_BOUNDS: AuditBounds = {
  maxKeys: 8,
  maxDepth: 2,
  maxItems: 4,
  maxString: 64,
  maxKeyLength: 32,
  maxBytes: 512,
  maxMessage: 200,
  maxActor: 100,
};

export const MAX_SLUG = 64;
export const MAX_ACTION = 100;
export const MAX_CLIENT = 64;

// Every pattern starts only where a run of its characters starts (the lookbehinds): on a long run like
// "a-a-a-…" a pattern that may start anywhere inside it backtracks quadratically.
const SECRET_WORD = /(password|passwd|pwd|pass|secret|token|apikey|api_key|api-key|authorization|auth|cookie|session|credential|private_key|privatekey)s?$/i;
const SECRET_PATTERNS: [RegExp, string | ((...m: string[]) => string)][] = [
  // name=value / name: value / "name":"value", in query strings, headers, JSON text and conninfo strings.
  [
    // A colon counts only before a space or a quote ("Cookie: x", "token":"x"), not in "npm run token:add".
    /(?<![A-Za-z0-9_-])([A-Za-z][A-Za-z0-9_-]*)(["']?\s*(?:=|:(?=[\s"'])|:$)\s*)("[^"]*"|'[^']*'|(?:Bearer|Basic)\s+\S+|[^\s,;&}"']+)/g,
    (all, name, sep) => (SECRET_WORD.test(name!) ? `${name}${sep}****` : all!),
  ],
  [/(?<![A-Za-z0-9_-])(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{4,}/gi, "$1 ****"],
  // Lifeboat's own API tokens and JWTs, wherever they are pasted.
  [/(?<![A-Za-z0-9_-])lb_[A-Za-z0-9_-]{16,}/g, "lb_****"],
  [/(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, "[jwt ****]"],
  // scheme://user:password@…, and the same cut before its @ (a password we would otherwise keep half of).
  [/(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]*@/gi, "$1:****@"],
  [/(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]*$/gi, "$1:****"],
];

/** Secrets inside free text masked; applied to every string (and key) that reaches the audit log. */
export function scrubSecrets(text: string): string {
  // PostgreSQL text and jsonb cannot hold U+0000: one NUL in any input made the whole audit insert fail, so a
  // hostile call left no entry at all. It is shown as U+2400 (␀) instead.
  let out = text.replace(/\u0000/g, "\u2400");
  for (const [re, to] of SECRET_PATTERNS) out = out.replace(re, to as never);
  return out;
}

/**
 * A string cut to `max` characters. Secrets are scrubbed on a prefix somewhat longer than what is kept, so a
 * secret straddling the cut is recognised before it is cut, and huge input costs no more than the prefix.
 */
export function boundText(text: string, max: number): string {
  const scrubbed = scrubSecrets(text.slice(0, max + 1000));
  if (scrubbed.length <= max && text.length <= max + 1000) return scrubbed;
  return `${scrubSecrets(scrubbed.slice(0, max))}…`;
}

function boundKey(raw: string, b: AuditBounds): string {
  const key = raw.replace(/\u0000/g, "\u2400");
  return key.length > b.maxKeyLength ? `${key.slice(0, b.maxKeyLength)}…` : key;
}

function boundValue(value: unknown, depth: number, b: AuditBounds): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === "string") return boundText(value, b.maxString);
  if (typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  if (typeof Blob !== "undefined" && value instanceof Blob) {
    const name = (value as Blob & { name?: string }).name;
    return `[file${name ? ` ${boundText(name, 40)}` : ""}, ${value.size} bytes]`;
  }
  if (depth >= b.maxDepth) return "[…]";
  if (Array.isArray(value)) {
    const items = value.slice(0, b.maxItems).map((v) => boundValue(v, depth + 1, b));
    return value.length > b.maxItems ? [...items, `… ${value.length - b.maxItems} more`] : items;
  }
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    let kept = 0;
    let dropped = 0;
    // for…in stops early: an object with a million keys costs no more than maxKeys of them.
    for (const k in value as Record<string, unknown>) {
      if (!Object.hasOwn(value, k)) continue;
      const v = (value as Record<string, unknown>)[k];
      if (typeof v === "function" || typeof v === "symbol" || v === undefined) continue;
      if (kept >= b.maxKeys) {
        dropped++;
        if (dropped > 10_000) break;
        continue;
      }
      kept++;
      const key = boundKey(scrubSecrets(k), b);
      // defineProperty: a "__proto__" key from JSON input stays a plain key instead of setting the prototype.
      Object.defineProperty(out, key, {
        value: isSecretKey(k) ? (v === null || v === "" ? v : REDACTED) : boundValue(v, depth + 1, b),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    if (dropped) out["…"] = `${dropped > 10_000 ? "more than 10000" : dropped} more keys`;
    return out;
  }
  return undefined;
}

const jsonBytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

/**
 * Params fit for the audit log: scrubbed, and at most `maxBytes` of JSON. Too big after the per-value limits,
 * the limits are halved until it fits; failing that, only a note that params were omitted (and how many keys).
 */
export function boundParams(input: unknown, b: AuditBounds): Record<string, unknown> {
  let bounds = b;
  for (let attempt = 0; attempt < 4; attempt++) {
    let value = boundValue(input, 0, bounds);
    if (!value || typeof value !== "object" || Array.isArray(value)) value = value === undefined ? {} : { value };
    if (jsonBytes(value) <= b.maxBytes) return value as Record<string, unknown>;
    bounds = {
      ...bounds,
      maxKeys: Math.max(1, Math.floor(bounds.maxKeys / 2)),
      maxItems: Math.max(1, Math.floor(bounds.maxItems / 2)),
      maxString: Math.max(16, Math.floor(bounds.maxString / 2)),
      maxDepth: Math.max(1, bounds.maxDepth - 1),
    };
  }
  return { "…": "params too large for the audit log; omitted" };
}

export interface BoundedEntry {
  actor: string | null;
  appSlug: string | null;
  action: string;
  client: string | null;
  message: string | null;
  params: Record<string, unknown>;
}

/** Every free-text field of an entry, bounded and scrubbed. */
export function boundEntry(
  e: { actor: string | null; appSlug?: string | null; action: string; client?: string | null; message?: string | null; params?: unknown },
  b: AuditBounds,
): BoundedEntry {
  const opt = (v: string | null | undefined, max: number) => (v == null ? null : boundText(v, max));
  return {
    actor: opt(e.actor, b.maxActor),
    appSlug: opt(e.appSlug, MAX_SLUG),
    action: boundText(e.action, MAX_ACTION),
    client: opt(e.client, MAX_CLIENT),
    message: opt(e.message, b.maxMessage),
    params: boundParams(e.params ?? {}, b),
  };
}
