import { apiRoute } from "@/lib/auth/api-auth";
import { OpError } from "@/lib/ops/errors";

export const dynamic = "force-dynamic";

/** Any /api/… path no route serves: a JSON 404 naming the call (not Next's HTML page), after the credentials check. */
const unknownCall = apiRoute({
  name: "api.unknown",
  role: "viewer",
  handler: async (_input, { req }) => {
    const path = new URL(req.url).pathname;
    throw new OpError("not_found", `There is no API call ${req.method} ${path.length > 200 ? `${path.slice(0, 200)}…` : path}. The calls are listed in the README ("API").`);
  },
});

export { unknownCall as DELETE, unknownCall as GET, unknownCall as PATCH, unknownCall as POST, unknownCall as PUT };
