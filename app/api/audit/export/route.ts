import { z } from "zod";
import { apiRoute } from "@/lib/auth/api-auth";
import { AUDIT_CSV_HEADER, auditCsvRows, csvLine } from "@/lib/db/queries/audit";

const filterSchema = z.object({
  app: z.string().trim().max(200).optional(),
  user: z.string().trim().max(320).optional(),
  action: z.string().trim().max(200).optional(),
});

export const GET = apiRoute({
  name: "audit.export",
  role: "viewer",
  schema: filterSchema,
  // Exporting the log is itself worth a line in it.
  audit: { app: (f) => f.app || undefined, reads: true },
  handler: async (filter) => {
    const rows = await auditCsvRows({ app: filter.app || undefined, user: filter.user || undefined, action: filter.action || undefined });
    const body = csvLine(AUDIT_CSV_HEADER) + rows.map(csvLine).join("");
    const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-");
    return new Response(body, {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="lifeboat-audit-${stamp}.csv"`,
        "cache-control": "no-store",
      },
    });
  },
});
