CREATE TYPE "public"."audit_result" AS ENUM('ok', 'invalid', 'error', 'denied');--> statement-breakpoint
CREATE TYPE "public"."backup_kind" AS ENUM('automatic', 'manual', 'named', 'found', 'pre_rollback');--> statement-breakpoint
CREATE TYPE "public"."backup_method" AS ENUM('dump', 'clone');--> statement-breakpoint
CREATE TYPE "public"."backup_status" AS ENUM('running', 'ok', 'failed', 'interrupted');--> statement-breakpoint
CREATE TYPE "public"."clone_strategy" AS ENUM('file_copy', 'wal_log');--> statement-breakpoint
CREATE TYPE "public"."dump_format" AS ENUM('custom', 'plain');--> statement-breakpoint
CREATE TYPE "public"."job_status" AS ENUM('running', 'ok', 'failed', 'interrupted');--> statement-breakpoint
CREATE TYPE "public"."job_type" AS ENUM('backup', 'verify', 'delete_backup', 'restore', 'rollback', 'switch_release', 'undo', 'recover');--> statement-breakpoint
CREATE TYPE "public"."journal_status" AS ENUM('begin', 'done');--> statement-breakpoint
CREATE TYPE "public"."role" AS ENUM('viewer', 'operator', 'admin');--> statement-breakpoint
CREATE TABLE "api_tokens" (
	"id" serial PRIMARY KEY NOT NULL,
	"user_id" integer NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "api_tokens_tokenHash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "apps" (
	"id" serial PRIMARY KEY NOT NULL,
	"slug" text NOT NULL,
	"db_host" text NOT NULL,
	"db_port" integer DEFAULT 5432 NOT NULL,
	"db_user" text NOT NULL,
	"db_password_enc" text,
	"db_name" text NOT NULL,
	"deploy_root" text,
	"backups_dir" text NOT NULL,
	"default_method" "backup_method" DEFAULT 'dump' NOT NULL,
	"dump_format" "dump_format" DEFAULT 'custom' NOT NULL,
	"clone_strategy" "clone_strategy" DEFAULT 'file_copy' NOT NULL,
	"retention" integer DEFAULT 5 NOT NULL,
	"stale_after_hours" integer DEFAULT 24 NOT NULL,
	"server_version" text,
	"server_version_num" integer,
	"can_create_db" boolean,
	"pg_dump_path" text,
	"db_size_bytes" bigint,
	"db_size_at" timestamp with time zone,
	"stop_command" jsonb,
	"start_command" jsonb,
	"command_cwd" text,
	"command_env" jsonb,
	"command_timeout_sec" integer DEFAULT 120 NOT NULL,
	"health_url" text,
	"health_timeout_sec" integer DEFAULT 30 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "apps_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_id" integer,
	"actor_email" text,
	"app_slug" text,
	"action" text NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"result" "audit_result" NOT NULL,
	"message" text,
	"duration_ms" integer
);
--> statement-breakpoint
CREATE TABLE "backups" (
	"id" serial PRIMARY KEY NOT NULL,
	"app_id" integer NOT NULL,
	"name" text NOT NULL,
	"method" "backup_method" NOT NULL,
	"kind" "backup_kind" NOT NULL,
	"format" "dump_format",
	"status" "backup_status" DEFAULT 'running' NOT NULL,
	"label" text,
	"size_bytes" bigint,
	"size_at" timestamp with time zone,
	"sha256" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"duration_ms" integer,
	"verified_at" timestamp with time zone,
	"created_by" text,
	"release" text,
	"for_release" text,
	"pinned" boolean DEFAULT false NOT NULL,
	"error" text,
	"job_id" integer,
	"stats" jsonb,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" serial PRIMARY KEY NOT NULL,
	"app_id" integer NOT NULL,
	"type" "job_type" NOT NULL,
	"status" "job_status" DEFAULT 'running' NOT NULL,
	"phase" text DEFAULT 'starting' NOT NULL,
	"progress_done" bigint,
	"progress_total" bigint,
	"log" text DEFAULT '' NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"result" jsonb,
	"error" text,
	"actor" text NOT NULL,
	"owner" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"heartbeat_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "login_failures" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "op_journal" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"job_id" integer NOT NULL,
	"app_id" integer NOT NULL,
	"step" text NOT NULL,
	"status" "journal_status" NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"reconciled_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" serial PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"name" text,
	"password_hash" text NOT NULL,
	"role" "role" DEFAULT 'viewer' NOT NULL,
	"disabled" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "backups" ADD CONSTRAINT "backups_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "backups" ADD CONSTRAINT "backups_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "op_journal" ADD CONSTRAINT "op_journal_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "op_journal" ADD CONSTRAINT "op_journal_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_log_at_index" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_log_app_slug_index" ON "audit_log" USING btree ("app_slug");--> statement-breakpoint
CREATE INDEX "audit_log_action_index" ON "audit_log" USING btree ("action");--> statement-breakpoint
CREATE INDEX "backups_app_id_created_at_index" ON "backups" USING btree ("app_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "backups_app_method_name_live" ON "backups" USING btree ("app_id","method","name") WHERE deleted_at is null;--> statement-breakpoint
CREATE INDEX "jobs_app_id_started_at_index" ON "jobs" USING btree ("app_id","started_at");--> statement-breakpoint
CREATE INDEX "jobs_status_index" ON "jobs" USING btree ("status");--> statement-breakpoint
CREATE INDEX "login_failures_email_at_index" ON "login_failures" USING btree ("email","at");--> statement-breakpoint
CREATE INDEX "op_journal_job_id_index" ON "op_journal" USING btree ("job_id");