import { z } from "zod";
import { apiRoute } from "@/lib/auth/api-auth";
import { AUDIT_CSV_HEADER, auditCsvRows, csvLine, flushAuditThrottle } from "@/lib/db/queries/audit";

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
    await flushAuditThrottle();
    // Streamed a page of rows at a time: the whole log is never held in memory.
    const rows = auditCsvRows({ app: filter.app || undefined, user: filter.user || undefined, action: filter.action || undefined });
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(csvLine(AUDIT_CSV_HEADER)));
      },
      async pull(controller) {
        const lines: string[] = [];
        for (let i = 0; i < 200; i++) {
          const next = await rows.next();
          if (next.done) {
            if (lines.length) controller.enqueue(encoder.encode(lines.join("")));
            controller.close();
            return;
          }
          lines.push(csvLine(next.value));
        }
        controller.enqueue(encoder.encode(lines.join("")));
      },
      async cancel() {
        await rows.return(undefined);
      },
    });
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
