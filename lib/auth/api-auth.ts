import type { z } from "zod";
import { describeError, searchParamsToObject } from "@/lib/actions/params";
import type { ActionResult } from "@/lib/actions/result";
import { fieldErrorsOf, internalError, invalidMessage } from "@/lib/actions/wrapper";
import { recordAudit, type AuditResult } from "@/lib/db/queries/audit";
import { checkApiToken, touchApiToken } from "@/lib/db/queries/api-tokens";
import { clientAddress } from "@/lib/audit/client";
import { isOpError } from "@/lib/ops/errors";
import { getSessionUser, type SessionUser } from "./session";
import { hasRole, roleLabels, type Role } from "./roles";
import { hashApiToken } from "./tokens";

export { createApiToken } from "./tokens";

// Route handlers for pipelines and for the dashboard's own polling. A session cookie or
// `Authorization: Bearer <token>`; same result shape as server actions, sent as JSON with an HTTP status.

export type RouteParams = Record<string, string | string[] | undefined>;
export type RouteHandler = (req: Request, ctx: { params: Promise<RouteParams> }) => Promise<Response>;

export interface ApiContext {
  user: SessionUser;
  via: "session" | "token";
  req: Request;
  params: RouteParams;
  note: (text: string) => void;
}

export interface ApiRouteDefinition<S extends z.ZodType, T> {
  /** Dotted, stable, used as the audit log's action: "api.backups.start". */
  name: string;
  role: Role;
  /** Parses query string, JSON body and route params merged (route params win) before the handler runs. */
  schema?: S;
  /**
   * Refusals and failures are always audited. Successful GETs are not unless `reads` is set: the dashboard
   * polls jobs twice a second and the log is for what people did, not what they looked at.
   */
  audit?: { app?: (input: z.output<S>) => string | undefined; reads?: boolean };
  /** Return data (sent as {status:"ok",data}) or a Response of your own (a download, say). */
  handler: (input: z.output<S>, ctx: ApiContext) => Promise<T | Response>;
}

export interface RouteMeta {
  name: string;
  role: Role;
}

const META = Symbol.for("lifeboat.route");
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const MAX_BODY_BYTES = 1_000_000;

export function getRouteMeta(fn: unknown): RouteMeta | undefined {
  return typeof fn === "function" ? (fn as unknown as Record<symbol, RouteMeta | undefined>)[META] : undefined;
}

function statusFor(result: ActionResult<unknown>): number {
  if (result.status === "ok") return 200;
  if (result.status === "invalid") return 400;
  switch (result.code) {
    case "unauthenticated":
      return 401;
    case "forbidden":
    case "cross_origin":
      return 403;
    case "not_found":
      return 404;
    case "busy":
    case "exists":
    case "conflict":
      return 409;
    case "too_large":
      return 413;
    case "unsupported_media_type":
      return 415;
    case "invalid":
    case "usage":
      return 400;
    case "internal":
      return 500;
    default:
      return 422;
  }
}

const auditResultOf = (r: ActionResult<unknown>): AuditResult =>
  r.status === "ok" ? "ok" : r.status === "invalid" ? "invalid" : ["unauthenticated", "forbidden", "cross_origin"].includes(r.code) ? "denied" : "error";

type Who = { user: SessionUser; via: "session" | "token"; tokenName?: string };

async function authenticate(req: Request): Promise<Who | ActionResult<never>> {
  const header = req.headers.get("authorization");
  if (header !== null) {
    // A request that sends a token is judged by the token alone, even if it also carries a cookie.
    const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    const check = token && token.length <= 200 ? await checkApiToken(hashApiToken(token)) : undefined;
    if (!check?.ok) {
      const why = check?.reason === "expired" ? "has expired" : check?.reason === "revoked" ? "was revoked" : "is missing or unknown";
      return { status: "error", code: "unauthenticated", message: `The API token ${why}. Ask an admin for a new one (Tokens page or npm run lifeboat -- tokens add).` };
    }
    await touchApiToken(check.tokenId);
    // The token acts with the lower of its own role and its owner's current role.
    return { user: { id: check.user.id, email: check.user.email, role: check.role }, via: "token", tokenName: check.tokenName };
  }
  const user = await getSessionUser();
  if (!user) {
    return { status: "error", code: "unauthenticated", message: "Sign in, or send Authorization: Bearer <token> (npm run token:add)." };
  }
  // Cookies ride along on cross-site requests; a cookie-authenticated write must come from our own pages.
  if (!SAFE_METHODS.has(req.method) && isCrossOrigin(req)) {
    return { status: "error", code: "cross_origin", message: "Cross-origin request refused." };
  }
  return { user, via: "session" };
}

function isCrossOrigin(req: Request): boolean {
  if (req.headers.get("sec-fetch-site") === "cross-site") return true;
  const origin = req.headers.get("origin");
  if (!origin) return false;
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host");
  try {
    return new URL(origin).host !== host;
  } catch {
    return true;
  }
}

/** The field names an object schema takes (through pipes, preprocessing, defaults); undefined when not an object schema. */
export function schemaKeys(schema: z.ZodType): string[] | undefined {
  let s: unknown = schema;
  for (let i = 0; i < 20 && s; i++) {
    const def = (s as { _zod?: { def?: { type?: string; shape?: Record<string, unknown>; in?: unknown; out?: unknown; innerType?: unknown } } })._zod?.def;
    if (!def) return undefined;
    if (def.type === "object" && def.shape) return Object.keys(def.shape);
    if (def.type === "pipe") {
      const inner = schemaKeys(def.in as z.ZodType);
      if (inner) return inner;
      s = def.out;
      continue;
    }
    if (def.innerType) {
      s = def.innerType;
      continue;
    }
    return undefined;
  }
  return undefined;
}


async function readInput(req: Request, params: RouteParams): Promise<Record<string, unknown> | ActionResult<never>> {
  const query = searchParamsToObject(new URL(req.url).searchParams);
  let body: Record<string, unknown> = {};
  if (req.method !== "GET" && req.method !== "HEAD") {
    const text = await req.text();
    if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
      return { status: "error", code: "too_large", message: "The request body is larger than 1 MB." };
    }
    if (text.trim()) {
      const type = req.headers.get("content-type") ?? "";
      if (type.includes("application/x-www-form-urlencoded")) {
        body = searchParamsToObject(new URLSearchParams(text));
      } else if (type.includes("json") || type === "" || type.startsWith("text/plain")) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          return { status: "invalid", message: "The body is not valid JSON.", fieldErrors: { _form: ["the body is not valid JSON"] } };
        }
        if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
          return { status: "invalid", message: "The body must be a JSON object.", fieldErrors: { _form: ["the body must be a JSON object"] } };
        }
        body = parsed as Record<string, unknown>;
      } else {
        return { status: "error", code: "unsupported_media_type", message: "Send JSON (content-type: application/json)." };
      }
    }
  }
  const fromPath = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
  return { ...query, ...body, ...fromPath };
}

const isResult = (v: unknown): v is ActionResult<never> =>
  !!v && typeof v === "object" && "status" in v && ((v as { status: unknown }).status === "error" || (v as { status: unknown }).status === "invalid");

function toResponse(result: ActionResult<unknown>): Response {
  const headers: Record<string, string> = { "cache-control": "no-store" };
  if (result.status === "error" && result.code === "unauthenticated") headers["www-authenticate"] = 'Bearer realm="lifeboat"';
  return Response.json(result, { status: statusFor(result), headers });
}

/**
 * THE wrapper for route handlers (app/api/**\/route.ts): authenticate (cookie or bearer token), check the
 * role, parse input with zod before anything runs, run, audit, and answer with the ActionResult shape:
 * 200 ok · 400 invalid · 401 · 403 · 404 · 409 busy · 4xx/5xx {status:"error",code,message}. Never a stack trace.
 */
export function apiRoute<S extends z.ZodType, T>(def: ApiRouteDefinition<S, T>): RouteHandler {
  // The fields the call takes, read from its schema once (undefined: not an object schema, nothing refused).
  const known = def.schema ? schemaKeys(def.schema) : undefined;
  const handler: RouteHandler = async (req, ctx) => {
    const started = performance.now();
    const params = ((await ctx?.params) ?? {}) as RouteParams;
    const notes: string[] = [];
    let who: Who | undefined;
    let input: Record<string, unknown> = { ...params };
    let appSlug: string | null = typeof params.app === "string" ? params.app : null;

    const finish = async (result: ActionResult<unknown>, response?: Response): Promise<Response> => {
      const skip = result.status !== "error" && SAFE_METHODS.has(req.method) && !def.audit?.reads;
      if (!skip) {
        if (who?.via === "token") notes.unshift(`via API token "${who.tokenName}"`);
        try {
          await recordAudit({
            actor: who?.user.email ?? null,
            actorId: who?.user.id ?? null,
            appSlug: appSlug?.slice(0, 100) ?? null,
            action: def.name,
            params: { method: req.method, ...input },
            result: auditResultOf(result),
            message: [result.message, ...notes].filter(Boolean).join(" · ") || null,
            durationMs: performance.now() - started,
            authenticated: who !== undefined,
            client: clientAddress(req.headers),
          });
        } catch (e) {
          console.error(`[audit] could not record ${def.name}: ${describeError(e)}`);
        }
      }
      return response ?? toResponse(result);
    };

    try {
      const auth = await authenticate(req);
      if (isResult(auth)) return finish(auth);
      who = auth;
      if (!hasRole(who.user.role, def.role)) {
        return finish({
          status: "error",
          code: "forbidden",
          message: `This needs the ${roleLabels[def.role]} role; ${who.via === "token" ? "the token's user" : "you"} ${who.via === "token" ? "is" : "are"} ${roleLabels[who.user.role]}.`,
        });
      }
      const raw = await readInput(req, params);
      if (isResult(raw)) return finish(raw);
      input = raw;
      let parsedInput: unknown = raw;
      const unknown = req.method === "GET" || !known ? [] : Object.keys(raw).filter((k) => !known.includes(k) && !(k in params));
      if (unknown.length) {
        // A misspelled field must not quietly become a default (a rollback to the default target, a backup
        // without its name): refused, naming what this call takes.
        const takes = known!.filter((k) => !(k in params)).join(", ");
        const fieldErrors = Object.fromEntries(unknown.map((k) => [k, [`unknown field; this call takes ${takes || "no body fields"}`]]));
        return finish({ status: "invalid", message: `Unknown field${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}: this call takes ${takes || "no body fields"}.`, fieldErrors });
      }
      if (def.schema) {
        const parsed = await def.schema.safeParseAsync(raw);
        if (!parsed.success) {
          const fieldErrors = fieldErrorsOf(parsed.error);
          return finish({ status: "invalid", message: invalidMessage(fieldErrors), fieldErrors });
        }
        parsedInput = parsed.data;
      }
      appSlug = def.audit?.app?.(parsedInput as z.output<S>) ?? appSlug;
      const data = await def.handler(parsedInput as z.output<S>, {
        user: who.user,
        via: who.via,
        req,
        params,
        note: (text) => void notes.push(text),
      });
      if (data instanceof Response) return finish({ status: "ok", data: null }, data);
      return finish({ status: "ok", data });
    } catch (error) {
      if (isOpError(error)) return finish({ status: "error", code: error.code, message: error.message });
      return finish(internalError(`api ${def.name}`, error));
    }
  };
  Object.defineProperty(handler, META, { value: { name: def.name, role: def.role } satisfies RouteMeta });
  return handler;
}
