import { z } from "zod";
import { apiRoute } from "@/lib/auth/api-auth";
import { appLiveState } from "@/lib/live/state";
import { OpError } from "@/lib/ops/errors";
import { slugSchema } from "@/lib/validation/apps";

export const dynamic = "force-dynamic";

/** The app page's and releases page's poll: a version token and the few facts behind it (lib/live/state.ts). */
export const GET = apiRoute({
  name: "api.apps.state",
  role: "viewer",
  schema: z.object({ app: slugSchema }),
  handler: async (input) => {
    const state = await appLiveState(input.app);
    if (!state) throw new OpError("not_found", `No app named ${input.app}.`);
    return state;
  },
});
