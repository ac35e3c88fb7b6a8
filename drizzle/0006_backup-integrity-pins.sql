ALTER TYPE "public"."backup_status" ADD VALUE 'tampered';--> statement-breakpoint
ALTER TABLE "backups" ADD COLUMN "pinned_by" text;--> statement-breakpoint
ALTER TABLE "backups" ADD COLUMN "pinned_role" "role";--> statement-breakpoint
ALTER TABLE "backups" ADD COLUMN "admin_pinned_at" timestamp with time zone;