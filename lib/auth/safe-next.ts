// Where to send someone after they sign in. Only a path on this site: a browser drops tabs and newlines
// from URLs and reads `\` as `/`, so `/\t/evil.example` or `/\evil.example` would leave the site.

export const DEFAULT_AFTER_SIGN_IN = "/apps";
const MAX_LENGTH = 2000;
const BASE = "http://lifeboat.invalid";

/**
 * A same-origin path (with its query and fragment) or DEFAULT_AFTER_SIGN_IN. Never throws: anything odd
 * (control or whitespace characters, backslashes, `//`, a scheme, the login page itself) gives the default.
 */
export function safeNextPath(raw: unknown): string {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > MAX_LENGTH) return DEFAULT_AFTER_SIGN_IN;
  // Control characters (C0, DEL, C1), any whitespace, backslashes; and `//` anywhere (protocol-relative URLs).
  if (/[\u0000-\u001f\u007f-\u009f\s\\]/u.test(raw) || raw.includes("//")) return DEFAULT_AFTER_SIGN_IN;
  if (!raw.startsWith("/")) return DEFAULT_AFTER_SIGN_IN;
  let url: URL;
  try {
    url = new URL(raw, BASE);
  } catch {
    return DEFAULT_AFTER_SIGN_IN;
  }
  if (url.origin !== BASE) return DEFAULT_AFTER_SIGN_IN;
  const path = `${url.pathname}${url.search}${url.hash}`;
  // The URL parser resolves dot segments and percent-decodes nothing: check the result again.
  if (!path.startsWith("/") || path.startsWith("//") || /^\/login(?:[/?#]|$)/.test(path) || /^\/api\/auth(?:[/?#]|$)/.test(path)) {
    return DEFAULT_AFTER_SIGN_IN;
  }
  return path;
}
