CREATE TYPE "public"."schedule_action" AS ENUM('backup', 'drill');--> statement-breakpoint
ALTER TYPE "public"."backup_kind" ADD VALUE 'scheduled';--> statement-breakpoint
CREATE TABLE "schedules" (
	"id" serial PRIMARY KEY NOT NULL,
	"app_id" integer NOT NULL,
	"label" text DEFAULT '' NOT NULL,
	"cron" text NOT NULL,
	"time_zone" text,
	"action" "schedule_action" DEFAULT 'backup' NOT NULL,
	"method" "backup_method" DEFAULT 'dump' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_fired_at" timestamp with time zone,
	"last_outcome" text,
	"last_message" text,
	"last_job_id" integer
);
--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "scheduled_retention" jsonb;--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "overdue_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "schedules" ADD CONSTRAINT "schedules_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "schedules" ADD CONSTRAINT "schedules_last_job_id_jobs_id_fk" FOREIGN KEY ("last_job_id") REFERENCES "public"."jobs"("id") ON DELETE set null ON UPDATE no action;