ALTER TYPE "public"."job_type" ADD VALUE 'drill';--> statement-breakpoint
ALTER TYPE "public"."job_type" ADD VALUE 'adopt';--> statement-breakpoint
ALTER TYPE "public"."job_type" ADD VALUE 'release';