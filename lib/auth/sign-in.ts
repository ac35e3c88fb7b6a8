import { describeError } from "@/lib/actions/params";
import { recordAudit } from "@/lib/db/queries/audit";
import { createSession } from "@/lib/db/queries/sessions";
import { env } from "@/lib/env";
import { clientIp, cookieValue, userAgentSummary } from "./client-info";
import { checkCredentials, type SignInRefusal } from "./credentials";
import { DEVICE_COOKIE, deviceNonceFor } from "./device";
import { formSignIn } from "./form-sign-in";
import type { Role } from "./roles";

export type AuthorizeResult =
  | { ok: true; user: { id: number; email: string; role: Role; sid: string } }
  | { ok: false; reason: SignInRefusal; retryAfterSeconds?: number };

const MAX_AUDIT_EMAIL = 120;

/** The email as typed, cut short and without control characters: enough to read the log, never a flood. */
function auditEmail(raw: unknown): string | null {
  if (typeof raw !== "string") return null;
  const clean = raw.trim().toLowerCase().replace(/[\u0000-\u001f\u007f-\u009f]/g, "");
  return clean.length > MAX_AUDIT_EMAIL ? `${clean.slice(0, MAX_AUDIT_EMAIL)}…` : clean || null;
}

/**
 * Everything behind Auth.js's authorize(), for both ways in: the sign-in form's server action and a POST to
 * /api/auth/callback/credentials. Throttles, checks the password, writes one bounded audit entry
 * ("auth.credentials": the email cut short, the client address, the outcome — never the password; for the
 * form, its action's own entry carries these facts instead) and, on success, opens the server-side session
 * whose id goes into the JWT.
 */
export async function authorizeSignIn(credentials: Partial<Record<string, unknown>> | undefined, request: Request): Promise<AuthorizeResult> {
  const started = performance.now();
  const headers = request.headers;
  const ip = clientIp(headers);
  const email = auditEmail(credentials?.email);
  const via = headers.has("next-action") ? "sign-in form" : "auth callback";
  const deviceNonce = email ? deviceNonceFor(cookieValue(headers, DEVICE_COOKIE), email) : null;

  let result: AuthorizeResult;
  const check = await checkCredentials(credentials, { ip, deviceNonce });
  if (check.ok) {
    try {
      const sid = await createSession({ userId: check.user.id, hours: env().LIFEBOAT_SESSION_HOURS, userAgent: userAgentSummary(headers), ip });
      result = { ok: true, user: { ...check.user, sid } };
    } catch (error) {
      result = { ok: false, reason: "unavailable" };
      console.error(`[auth] could not open a session: ${describeError(error)}`);
    }
  } else {
    result = check;
  }

  const form = formSignIn.getStore();
  if (form) {
    // The sign-in form's action writes this call's one audit entry, with these facts in it.
    form.client = ip;
    form.device = deviceNonce ? "known" : "new";
    return result;
  }
  if (!result.ok && result.reason === "unavailable") {
    console.error(`[auth] sign-in for ${email ?? "?"} from ${ip}: the metadata database is unreachable`);
    return result; // nowhere to write the audit entry either
  }
  try {
    await recordAudit({
      actor: result.ok ? result.user.email : email,
      actorId: result.ok ? result.user.id : null,
      // A refused sign-in is nobody's: kept short and rate-limited like every unauthenticated refusal.
      authenticated: result.ok,
      client: ip,
      action: "auth.credentials",
      params: { email, client: ip, via, device: deviceNonce ? "known" : "new" },
      result: result.ok ? "ok" : result.reason === "invalid_input" ? "invalid" : "denied",
      message: result.ok
        ? `signed in (${via})`
        : `refused: ${result.reason}${result.retryAfterSeconds ? ` (wait ${result.retryAfterSeconds} s)` : ""} (${via})`,
      durationMs: performance.now() - started,
    });
  } catch (error) {
    console.error(`[audit] could not record auth.credentials: ${describeError(error)}`);
  }
  return result;
}
