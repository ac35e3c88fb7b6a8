import { apiRoute } from "@/lib/auth/api-auth";
import { startBackupJobFor } from "@/lib/jobs/backup-jobs";
import { backupPathSchema } from "@/lib/validation/backups";

export const dynamic = "force-dynamic";

/** Reads a backup back (a dump: checksum, then pg_restore; a clone: still on the server). A missing dump whose file was put back becomes ok again. Answers with the job to poll. */
export const POST = apiRoute({ name: "api.backups.verify", role: "operator", schema: backupPathSchema, audit: { app: (input) => input.app }, handler: startBackupJobFor("verify") });
