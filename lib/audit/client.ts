// Which client sent a request, for the audit rate limit's buckets only (never for access decisions: the
// headers are whatever a proxy — or the client itself — wrote). The same rule as sign-in's throttle
// (lib/auth/client-info.ts: the last X-Forwarded-For entry, the one our proxy appended): with the first
// entry, a client that rotates a forged first address got a fresh bucket per request and flooded the log.
// Anything that is not an address is "unknown".
import { clientIp } from "@/lib/auth/client-info";

const ADDRESS = /^[0-9A-Fa-f:.]{2,45}$/;

export function clientAddress(headers: Headers): string {
  const candidate = clientIp(headers);
  return ADDRESS.test(candidate) ? candidate : "unknown";
}
