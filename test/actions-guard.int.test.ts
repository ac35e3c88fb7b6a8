// Every server action and every API route refuses callers without a session, and callers whose role is
// one below the one required. Files are found on disk, so actions and routes added later are covered
// without touching this test; an export that did not go through defineAction/apiRoute fails it.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { useMetaDb } from "@/test/helpers";
import type { SessionUser } from "@/lib/auth/session";
import type { Role } from "@/lib/auth/roles";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/auth/session", () => ({
  getSessionUser: async () => session.user,
  requireUser: async () => {
    throw new Error("pages are not under test here");
  },
}));

// next-auth imports "next/server" without an extension, which Node's ESM loader refuses when vitest leaves
// next-auth external. No handler runs in this test (every call is refused or invalid before it), so the
// sign-in/out functions are stubs that fail loudly if reached. (With `server.deps.inline: ["next-auth"]`
// in vitest.config.ts the real module loads and this mock can go.)
vi.mock("@/lib/auth", () => {
  const unreachable = () => {
    throw new Error("a handler ran in the guard test: the wrapper let a refused call through");
  };
  return {
    auth: unreachable,
    signIn: unreachable,
    signOut: unreachable,
    signInWithPassword: unreachable,
    currentSessionId: unreachable,
    handlers: { GET: unreachable, POST: unreachable },
  };
});

const { getActionMeta, listRegisteredActions } = await import("@/lib/actions/wrapper");
const { createApiToken, getRouteMeta } = await import("@/lib/auth/api-auth");
const { roleBelow } = await import("@/lib/auth/roles");
const { closeDb } = await import("@/lib/db/client");
const { createUser } = await import("@/lib/db/queries/users");

/** Actions allowed to run without a session. Adding one here is a decision: say why in review. */
const PUBLIC_ACTIONS = new Set(["auth.sign_in"]);
/** Route files that are not ours to wrap: Auth.js's own endpoints (sign-in pages, CSRF, callbacks). */
const UNWRAPPED_ROUTES = new Set(["app/api/auth/[...nextauth]/route.ts"]);
const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

const root = process.cwd();
const SKIP_DIRS = new Set(["node_modules", ".next", ".git", ".lifeboat", "test-results", "playwright-report"]);

function walk(dir: string): string[] {
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) return [];
  return fs.readdirSync(abs, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return SKIP_DIRS.has(e.name) ? [] : walk(path.join(dir, e.name));
    return /\.(ts|tsx|js|jsx|mjs)$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [path.join(dir, e.name)] : [];
  });
}

const sourceFiles = ["app", "components", "lib"].flatMap(walk);
const text = (file: string) => fs.readFileSync(path.join(root, file), "utf8");
/** A module-level "use server" directive: the first statement, after comments. */
const isUseServerFile = (file: string) =>
  /^["']use server["']/.test(text(file).replace(/^(?:\s+|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*/, ""));

const actionFiles = [...new Set([...sourceFiles.filter((f) => /(^|\/)actions\.tsx?$/.test(f) && f.startsWith("app/")), ...sourceFiles.filter(isUseServerFile)])].sort();
const routeFiles = sourceFiles.filter((f) => f.startsWith("app/api/") && /\/route\.tsx?$/.test(f)).sort();

type Fn = (...args: unknown[]) => Promise<unknown>;
const actions: { file: string; exportName: string; fn: Fn; name: string; role: Role | "public" }[] = [];

const tokens: Partial<Record<Role, string>> = {};

beforeAll(async () => {
  await useMetaDb();
  for (const role of ["viewer", "operator", "admin"] as const) {
    const user = await createUser({ email: `guard-${role}@example.com`, password: `guard-${role}-password`, role });
    tokens[role] = (await createApiToken(user.id, `guard-${role}`)).token;
  }
});
afterAll(async () => {
  await closeDb();
});

describe("server actions", () => {
  it("finds the action files (the glob works)", () => {
    expect(actionFiles.length).toBeGreaterThan(0);
    expect(actionFiles).toContain("app/(auth)/login/actions.ts");
    for (const f of ["app/(dashboard)/users/actions.ts", "app/(dashboard)/tokens/actions.ts", "app/(dashboard)/account/actions.ts"]) expect(actionFiles).toContain(f);
  });

  it.each(actionFiles)("%s is a \"use server\" file exporting only wrapped actions", async (file) => {
    expect(isUseServerFile(file), `${file} must start with "use server"`).toBe(true);
    const mod = (await import(path.join(root, file))) as Record<string, unknown>;
    const names = Object.keys(mod);
    expect(names.length, `${file} exports nothing`).toBeGreaterThan(0);
    for (const exportName of names) {
      const fn = mod[exportName];
      const meta = getActionMeta(fn);
      expect(meta, `${file}: export "${exportName}" is not made by defineAction() (lib/actions/wrapper.ts)`).toBeDefined();
      actions.push({ file, exportName, fn: fn as Fn, name: meta!.name, role: meta!.role });
    }
  });

  it("has no inline \"use server\" functions outside action files (they would bypass the wrapper)", () => {
    const inline = sourceFiles.filter((f) => !isUseServerFile(f) && /^\s*["']use server["'];?\s*$/m.test(text(f)));
    expect(inline).toEqual([]);
  });

  it("gives every action a unique name, and registers each one", () => {
    const names = actions.map((a) => a.name);
    expect(new Set(names).size, `duplicate action names: ${names.join(", ")}`).toBe(names.length);
    const registered = new Map(listRegisteredActions().map((a) => [a.name, a.role]));
    for (const a of actions) expect(registered.get(a.name)).toBe(a.role);
  });

  it("covers the channel edit and secret rotation actions, admin only", () => {
    for (const name of ["notifications.channel_update", "notifications.channel_rotate_secret"]) expect(actions.find((a) => a.name === name)?.role, name).toBe("admin");
  });

  it("refuses every action without a session (public ones only with an explicit allowance)", async () => {
    expect(actions.length).toBeGreaterThan(0);
    session.user = null;
    for (const a of actions) {
      if (a.role === "public") {
        expect(PUBLIC_ACTIONS.has(a.name), `${a.name} (${a.file}) is public but not in PUBLIC_ACTIONS`).toBe(true);
        // Public, but still parsed first: empty input never reaches the handler.
        expect(await a.fn({}), a.name).toMatchObject({ status: "invalid" });
        continue;
      }
      for (const input of [undefined, {}, new FormData()]) {
        expect(await a.fn(input), `${a.name} (${a.file}) without a session`).toMatchObject({ status: "error", code: "unauthenticated" });
      }
      expect(await a.fn(null, new FormData()), `${a.name} via useActionState without a session`).toMatchObject({ status: "error", code: "unauthenticated" });
    }
  });

  it("refuses every action to the role just below the one it needs", async () => {
    let checked = 0;
    for (const a of actions) {
      if (a.role === "public") continue;
      const below = roleBelow(a.role);
      if (!below) continue; // viewer actions: nobody is below a viewer
      session.user = { id: 9_000 + checked, email: `guard-${below}@example.com`, role: below };
      const form = new FormData();
      form.append("app", "shop");
      expect(await a.fn(form), `${a.name} (${a.file}) as ${below}`).toMatchObject({ status: "error", code: "forbidden" });
      checked++;
    }
    session.user = null;
    expect(checked).toBeGreaterThan(0);
  });
});

describe("API routes", () => {
  it("finds the route files (the glob works)", () => {
    expect(routeFiles).toContain("app/api/audit/export/route.ts");
    expect(routeFiles).toContain("app/api/apps/[app]/releases/[name]/activate/route.ts");
  });

  it.each(routeFiles.filter((f) => !UNWRAPPED_ROUTES.has(f)))("%s answers 401 without credentials and 403 to a role too low", async (file) => {
    session.user = null;
    const mod = (await import(path.join(root, file))) as Record<string, unknown>;
    const methods = HTTP_METHODS.filter((m) => typeof mod[m] === "function");
    expect(methods.length, `${file} exports no HTTP method`).toBeGreaterThan(0);
    // Dynamic segments get placeholder values: authentication comes before anything reads them.
    const segments = file.split("/").slice(1, -1);
    const params: Record<string, string | string[]> = {};
    const urlPath = segments
      .map((s) => {
        const m = /^\[(\.\.\.)?(\w+)\]$/.exec(s);
        if (!m) return s;
        params[m[2]!] = m[1] ? ["1"] : "1";
        return "1";
      })
      .join("/");
    const call = (method: string, token?: string) =>
      (mod[method] as (req: Request, ctx: unknown) => Promise<Response>)(
        new Request(`http://lifeboat.test/${urlPath}`, {
          method,
          headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(method === "GET" || method === "HEAD" ? {} : { "content-type": "application/json" }) },
          body: method === "GET" || method === "HEAD" ? undefined : "{}",
        }),
        { params: Promise.resolve(params) },
      );

    for (const method of methods) {
      const meta = getRouteMeta(mod[method]);
      expect(meta, `${file}: ${method} is not made by apiRoute() (lib/auth/api-auth.ts)`).toBeDefined();
      const anonymous = await call(method);
      expect(anonymous.status, `${file} ${method} without credentials`).toBe(401);
      if (method !== "HEAD") expect(await anonymous.json()).toMatchObject({ status: "error", code: "unauthenticated" });
      const below = roleBelow(meta!.role);
      if (!below) continue;
      const denied = await call(method, tokens[below]);
      expect(denied.status, `${file} ${method} with a ${below} token`).toBe(403);
    }
  });
});
