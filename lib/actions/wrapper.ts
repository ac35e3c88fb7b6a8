import crypto from "node:crypto";
import { unstable_rethrow } from "next/navigation";
import type { z } from "zod";
import { getSessionUser, type SessionUser } from "@/lib/auth/session";
import { hasRole, roleLabels, type Role } from "@/lib/auth/roles";
import { recordAudit, type AuditResult } from "@/lib/db/queries/audit";
import { isOpError } from "@/lib/ops/errors";
import { describeError, formDataToObject } from "./params";
import { failure, ok, type ActionResult } from "./result";

/** "public" is for signing in only; test/actions-guard.int.test.ts lists the actions allowed to use it. */
export type ActionRole = Role | "public";

export interface ActionContext<R extends ActionRole> {
  user: R extends "public" ? SessionUser | null : SessionUser;
  /** Adds a line to this call's audit entry (server-side only, never returned to the browser). */
  note: (text: string) => void;
}

export interface ActionDefinition<S extends z.ZodType, T, R extends ActionRole> {
  /** Dotted, stable, used as the audit log's action: "backups.start". */
  name: string;
  role: R;
  schema: S;
  audit?: {
    app?: (input: z.output<S>) => string | undefined;
    /** Public actions only: who the call is about when nobody is signed in (the email signing in). */
    actor?: (input: z.output<S>) => string | undefined;
    /** A read (the rollback plan preview): only refusals and failures are audited, like apiRoute's GETs. */
    read?: boolean;
  };
  handler: (input: z.output<S>, ctx: ActionContext<R>) => Promise<T>;
}

/** Callable directly (`action({ app: "shop" })`), as a form action, or through useActionState. */
export interface ServerAction<T, I = Record<string, unknown>> {
  (input?: I | FormData): Promise<ActionResult<T>>;
  /** useActionState's form: the previous state is ignored. */
  (prevState: unknown, formData: FormData): Promise<ActionResult<T>>;
}

export interface ActionMeta {
  name: string;
  role: ActionRole;
}

const META = Symbol.for("lifeboat.action");
const registry = new Map<string, ActionMeta>();

/** Every action defined so far in this process (after its module was imported). */
export function listRegisteredActions(): ActionMeta[] {
  return [...registry.values()];
}

/** The name and role of a function made by defineAction, or undefined for anything else. */
export function getActionMeta(fn: unknown): ActionMeta | undefined {
  return typeof fn === "function" ? (fn as unknown as Record<symbol, ActionMeta | undefined>)[META] : undefined;
}

/** zod issues → { field: [messages] }; issues without a path go under "_form". */
export function fieldErrorsOf(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.map(String).join(".") || "_form";
    (out[key] ??= []).push(issue.message);
  }
  return out;
}

export function invalidMessage(fieldErrors: Record<string, string[]>): string {
  const parts = Object.entries(fieldErrors)
    .slice(0, 3)
    .map(([k, msgs]) => (k === "_form" ? msgs[0] : `${k}: ${msgs[0]?.replace(/\.$/, "")}`));
  const more = Object.keys(fieldErrors).length > 3 ? " …" : "";
  return `Nothing was done. Fix ${parts.join("; ")}${more}.`;
}

/** Unknown errors: a reference the operator can quote, the details only in the server log. */
export function internalError(where: string, error: unknown): ActionResult<never> {
  const ref = crypto.randomBytes(4).toString("hex");
  console.error(`[${where}] unexpected error, ref ${ref}: ${describeError(error)}`);
  return failure("internal", `Unexpected server error (ref ${ref}). The server log has the details under that reference.`);
}

const auditResultOf = (r: ActionResult<unknown>): AuditResult =>
  r.status === "ok" ? "ok" : r.status === "invalid" ? "invalid" : r.code === "unauthenticated" || r.code === "forbidden" ? "denied" : "error";

function rawInput(args: unknown[]): Record<string, unknown> {
  // useActionState calls (prevState, payload); a form action or a direct call passes (payload).
  const payload = args.length >= 2 ? args[1] : args[0];
  if (payload instanceof FormData) return formDataToObject(payload);
  if (payload && typeof payload === "object" && !Array.isArray(payload)) return { ...(payload as Record<string, unknown>) };
  return {};
}

/**
 * THE wrapper for server actions. Authenticates, checks the role, parses the input with zod before anything
 * runs, runs the handler, maps errors to a safe result, and writes exactly one audit entry per call — also
 * when the call is refused, invalid or fails. Export its result from a "use server" file and nothing else.
 */
export function defineAction<S extends z.ZodType, T, R extends ActionRole>(def: ActionDefinition<S, T, R>): ServerAction<T, z.input<S>> {
  const action = async (...args: unknown[]): Promise<ActionResult<T>> => {
    const started = performance.now();
    const input = rawInput(args);
    const notes: string[] = [];
    let user: SessionUser | null = null;
    let appSlug = guessApp(def, input);
    let claimedActor: string | undefined;

    const finish = async (result: ActionResult<T>): Promise<ActionResult<T>> => {
      if (def.audit?.read && result.status === "ok") return result;
      const message = [result.message, ...notes].filter(Boolean).join(" · ");
      try {
        await recordAudit({
          actor: user?.email ?? claimedActor ?? null,
          actorId: user?.id ?? null,
          appSlug,
          action: def.name,
          params: input,
          result: auditResultOf(result),
          message: message || null,
          durationMs: performance.now() - started,
          authenticated: user !== null,
        });
      } catch (e) {
        console.error(`[audit] could not record ${def.name}: ${describeError(e)}`);
      }
      return result;
    };

    try {
      user = await getSessionUser();
      if (def.role !== "public") {
        if (!user) return finish(failure("unauthenticated", "Your session has ended. Sign in again, then retry."));
        if (!hasRole(user.role, def.role as Role)) {
          return finish(
            failure("forbidden", `This needs the ${roleLabels[def.role as Role]} role; you are ${roleLabels[user.role]}. Ask an admin.`),
          );
        }
      }
      const parsed = await def.schema.safeParseAsync(input);
      if (!parsed.success) {
        const fieldErrors = fieldErrorsOf(parsed.error);
        return finish({ status: "invalid", message: invalidMessage(fieldErrors), fieldErrors });
      }
      appSlug = def.audit?.app?.(parsed.data) ?? appSlug;
      if (def.role === "public") claimedActor = def.audit?.actor?.(parsed.data);
      const ctx = { user, note: (text: string) => void notes.push(text) } as ActionContext<R>;
      const data = await def.handler(parsed.data, ctx);
      return finish(ok(data));
    } catch (error) {
      try {
        // redirect(), notFound() and friends are Next's control flow, not failures: let them through.
        unstable_rethrow(error);
      } catch (flow) {
        await finish(ok(undefined as T));
        throw flow;
      }
      if (isOpError(error)) return finish(failure(error.code, error.message));
      return finish(internalError(`action ${def.name}`, error));
    }
  };
  Object.defineProperty(action, META, { value: { name: def.name, role: def.role } satisfies ActionMeta });
  registry.set(def.name, { name: def.name, role: def.role });
  return action as ServerAction<T, z.input<S>>;
}

/** For denied and invalid calls: which app was targeted, if the raw input says so. */
function guessApp(def: { audit?: { app?: (input: never) => string | undefined } }, input: Record<string, unknown>): string | null {
  try {
    const app = def.audit?.app?.(input as never);
    return typeof app === "string" && app.length <= 100 ? app : null;
  } catch {
    return null;
  }
}
