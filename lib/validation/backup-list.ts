import { z } from "zod";

// The app page's backup list query (?page=&status=&method=&q=): anything unexpected falls back to "no
// filter" instead of an error page, since these come from a URL someone may have pasted.

const optional = <T extends z.ZodType>(s: T) => s.optional().catch(undefined);

export const backupListQuerySchema = z.object({
  page: z.coerce.number().int().min(1).max(100_000).catch(1).default(1),
  status: optional(z.enum(["ok", "running", "failed", "interrupted", "tampered", "missing"])),
  method: optional(z.enum(["dump", "clone"])),
  q: optional(z.string().trim().min(1).max(100)),
});

export type BackupListQuery = z.output<typeof backupListQuerySchema>;

/** Next's searchParams give string | string[]; the first value counts. */
export function parseBackupListQuery(params: Record<string, string | string[] | undefined>): BackupListQuery {
  const first = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  return backupListQuerySchema.parse(first);
}
