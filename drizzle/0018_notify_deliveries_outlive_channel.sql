ALTER TABLE "notify_deliveries" DROP CONSTRAINT "notify_deliveries_channel_id_notify_channels_id_fk";
--> statement-breakpoint
ALTER TABLE "notify_deliveries" ALTER COLUMN "channel_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "notify_deliveries" ADD CONSTRAINT "notify_deliveries_channel_id_notify_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."notify_channels"("id") ON DELETE set null ON UPDATE no action;