// Who is asking, from the request headers Next gives us (route handlers and actions get no socket address).
//
// Trusted-proxy assumption: Lifeboat runs behind one reverse proxy that appends the client's address to
// X-Forwarded-For (nginx `$proxy_add_x_forwarded_for`, Caddy, Traefik do). The last entry is the one our
// proxy wrote; entries before it are whatever the client sent. Without a proxy, Next fills the header with
// the socket address only when the client sent none, so a client can pick its own "address": the
// per-client limit then slows only honest clients, and the per-account limit is what holds.

const MAX_IP = 64;
const MAX_AGENT = 200;

export function clientIp(headers: Headers): string {
  const forwarded = headers.get("x-forwarded-for");
  const last = forwarded?.split(",").map((s) => s.trim()).filter(Boolean).at(-1);
  const ip = last ?? headers.get("x-real-ip")?.trim() ?? "";
  const clean = ip.replace(/[^0-9A-Za-z.:%[\]-]/g, "").slice(0, MAX_IP);
  return clean || "unknown";
}

/** The user agent, cut short and stripped of control characters: for "where am I signed in" lists. */
export function userAgentSummary(headers: Headers): string | null {
  const ua = headers.get("user-agent");
  if (!ua) return null;
  return ua.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ").slice(0, MAX_AGENT);
}

/** One cookie's value from a Cookie header, or null. */
export function cookieValue(headers: Headers, name: string): string | null {
  const header = headers.get("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
