CREATE TABLE "restore_drills" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"app_id" integer NOT NULL,
	"backup_id" integer NOT NULL,
	"job_id" integer,
	"ok" boolean NOT NULL,
	"backup_bytes" bigint,
	"restore_ms" integer,
	"duration_ms" integer NOT NULL,
	"tables" integer,
	"rows" bigint,
	"differences" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"smoke" text,
	"error" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "smoke_query" text;--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "drill_after_backup" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "backups" ADD COLUMN "adopted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "backups" ADD COLUMN "adopted_by" text;--> statement-breakpoint
ALTER TABLE "backups" ADD COLUMN "drilled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "backups" ADD COLUMN "drill_ok" boolean;--> statement-breakpoint
ALTER TABLE "restore_drills" ADD CONSTRAINT "restore_drills_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "restore_drills" ADD CONSTRAINT "restore_drills_backup_id_backups_id_fk" FOREIGN KEY ("backup_id") REFERENCES "public"."backups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "restore_drills" ADD CONSTRAINT "restore_drills_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "restore_drills_app_id_at_index" ON "restore_drills" USING btree ("app_id","at");--> statement-breakpoint
CREATE INDEX "restore_drills_backup_id_at_index" ON "restore_drills" USING btree ("backup_id","at");