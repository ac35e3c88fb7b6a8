import { apiRoute } from "@/lib/auth/api-auth";
import { listAppsWithStatus } from "@/lib/db/queries/apps";

export const dynamic = "force-dynamic";

export const GET = apiRoute({
  name: "api.apps.list",
  role: "viewer",
  handler: async () => listAppsWithStatus(),
});
