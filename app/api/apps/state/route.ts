import { apiRoute } from "@/lib/auth/api-auth";
import { allLiveState } from "@/lib/live/state";

export const dynamic = "force-dynamic";

/** The apps list's and audit page's poll: one token over every app and the newest audit row. */
export const GET = apiRoute({
  name: "api.apps.state.all",
  role: "viewer",
  handler: async () => allLiveState(),
});
