import { apiRoute } from "@/lib/auth/api-auth";
import { startBackupJobFor } from "@/lib/jobs/backup-jobs";
import { backupPathSchema } from "@/lib/validation/backups";

export const dynamic = "force-dynamic";

/** A restore drill of this backup into a scratch database: tables, rows, owners and grants compared with its fingerprint. Answers with the job to poll. */
export const POST = apiRoute({ name: "api.backups.drill", role: "operator", schema: backupPathSchema, audit: { app: (input) => input.app }, handler: startBackupJobFor("drill") });
