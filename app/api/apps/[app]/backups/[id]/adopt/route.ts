import { apiRoute } from "@/lib/auth/api-auth";
import { startBackupJobFor } from "@/lib/jobs/backup-jobs";
import { backupPathSchema } from "@/lib/validation/backups";

export const dynamic = "force-dynamic";

/** Verifies and adopts a dump found on disk (seed 000's files): private copy, full read, scan, checksum. Answers with the job to poll. */
export const POST = apiRoute({ name: "api.backups.adopt", role: "operator", schema: backupPathSchema, audit: { app: (input) => input.app }, handler: startBackupJobFor("adopt") });
