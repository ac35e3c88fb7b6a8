ALTER TABLE "backups" ADD COLUMN "identity" jsonb;--> statement-breakpoint
ALTER TABLE "backups" ADD COLUMN "fingerprint" jsonb;