ALTER TABLE "apps" ADD COLUMN "pgbouncer_host" text;--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "pgbouncer_port" integer;--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "pgbouncer_user" text;--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "pgbouncer_password_enc" text;--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "pgbouncer_db" text;