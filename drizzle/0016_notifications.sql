CREATE TYPE "public"."notify_channel_kind" AS ENUM('webhook', 'slack', 'email');--> statement-breakpoint
CREATE TYPE "public"."notify_delivery_status" AS ENUM('pending', 'retrying', 'delivered', 'failed');--> statement-breakpoint
CREATE TABLE "notify_channels" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" "notify_channel_kind" NOT NULL,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"secret_enc" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notify_deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"channel_id" integer NOT NULL,
	"event_id" bigint,
	"kind" text NOT NULL,
	"summary" text NOT NULL,
	"status" "notify_delivery_status" DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_status_code" integer,
	"last_error" text,
	"next_retry_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"last_attempt_at" timestamp with time zone,
	"claimed_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notify_rules" (
	"id" serial PRIMARY KEY NOT NULL,
	"channel_id" integer NOT NULL,
	"app_id" integer,
	"kind" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notify_rules_channelId_appId_kind_unique" UNIQUE NULLS NOT DISTINCT("channel_id","app_id","kind")
);
--> statement-breakpoint
ALTER TABLE "notify_channels" ADD CONSTRAINT "notify_channels_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notify_deliveries" ADD CONSTRAINT "notify_deliveries_channel_id_notify_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."notify_channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notify_deliveries" ADD CONSTRAINT "notify_deliveries_event_id_app_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."app_events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notify_rules" ADD CONSTRAINT "notify_rules_channel_id_notify_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."notify_channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notify_rules" ADD CONSTRAINT "notify_rules_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "notify_channels_name_index" ON "notify_channels" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "notify_deliveries_channel_id_event_id_index" ON "notify_deliveries" USING btree ("channel_id","event_id") WHERE "notify_deliveries"."event_id" is not null;--> statement-breakpoint
CREATE INDEX "notify_deliveries_channel_id_created_at_index" ON "notify_deliveries" USING btree ("channel_id","created_at");--> statement-breakpoint
CREATE INDEX "notify_rules_kind_index" ON "notify_rules" USING btree ("kind");