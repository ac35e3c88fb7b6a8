import { apiRoute } from "@/lib/auth/api-auth";
import { openBackupDownload } from "@/lib/jobs/backup-download";
import { backupPathSchema } from "@/lib/validation/backups";

export const dynamic = "force-dynamic";

/** An admin downloads a dump: checksum-checked, streamed, audited (the audit row names the file and its sha256). */
export const GET = apiRoute({
  name: "api.backups.download",
  role: "admin",
  schema: backupPathSchema,
  audit: { app: (input) => input.app, reads: true },
  handler: async (input, { user, note, req }) => {
    const d = await openBackupDownload(input.app, input.id, user.email, req.signal);
    note(`download of ${d.name} (${d.sizeBytes} bytes, sha256 ${d.sha256}) checked against the recorded checksum`);
    return new Response(d.body, {
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(d.sizeBytes),
        "content-disposition": d.disposition,
        "x-content-type-options": "nosniff",
        "x-backup-sha256": d.sha256,
        "cache-control": "no-store",
      },
    });
  },
});
