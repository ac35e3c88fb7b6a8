CREATE TYPE "public"."app_liveness_state" AS ENUM('up', 'down');--> statement-breakpoint
CREATE TYPE "public"."health_policy" AS ENUM('undo', 'keep');--> statement-breakpoint
CREATE TYPE "public"."release_event_kind" AS ENUM('deployed', 'became_current', 'rolled_back_from', 'rolled_back_to', 'health_failed', 'marked_bad', 'unmarked_bad');--> statement-breakpoint
CREATE TABLE "app_liveness" (
	"app_id" integer PRIMARY KEY NOT NULL,
	"state" "app_liveness_state" NOT NULL,
	"since" timestamp with time zone DEFAULT now() NOT NULL,
	"checked_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"last_status" integer
);
--> statement-breakpoint
CREATE TABLE "release_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"app_id" integer NOT NULL,
	"release" text NOT NULL,
	"kind" "release_event_kind" NOT NULL,
	"actor" text NOT NULL,
	"job_id" integer,
	"note" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "health_policy" "health_policy" DEFAULT 'undo' NOT NULL;--> statement-breakpoint
ALTER TABLE "app_liveness" ADD CONSTRAINT "app_liveness_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "release_events" ADD CONSTRAINT "release_events_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "release_events" ADD CONSTRAINT "release_events_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "release_events_app_id_release_at_index" ON "release_events" USING btree ("app_id","release","at");