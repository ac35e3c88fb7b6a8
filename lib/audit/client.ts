// Which client sent a request, for the audit rate limit's buckets only (never for access decisions: the
// headers are whatever a proxy — or the client itself — wrote). Anything that is not an address is "unknown".

const ADDRESS = /^[0-9A-Fa-f:.]{2,45}$/;

export function clientAddress(headers: Headers): string {
  const forwarded = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  const candidate = forwarded || headers.get("x-real-ip")?.trim() || "";
  return ADDRESS.test(candidate) ? candidate : "unknown";
}
