import NextAuth from "next-auth";
import { NextRequest, NextResponse, type NextFetchEvent } from "next/server";
import { authConfig } from "@/lib/auth/config";
import { env } from "@/lib/env";
import { createNonce, pageContentSecurityPolicy } from "@/lib/http/security-headers";

// Two jobs. (1) Every page gets a Content-Security-Policy with a fresh nonce: set on the request, Next reads it
// and puts the nonce on its own scripts; set on the response, the browser enforces it. (2) A convenience:
// signed-out browsers go to /login. That is not the guard (CVE-2025-29927 bypassed middleware); every page,
// action and API route checks the session and the role itself.
const { auth } = NextAuth(authConfig);
/** Carries this request's policy into the auth wrapper's handler (set here, so a client cannot choose it). */
const POLICY_CARRIER = "x-lifeboat-csp";

/** The request continues with the nonce'd policy on it, so Next can read the nonce while rendering. */
function continueWithPolicy(req: NextRequest, policy: string): NextResponse {
  const headers = new Headers(req.headers);
  headers.delete(POLICY_CARRIER);
  headers.set("Content-Security-Policy", policy);
  return NextResponse.next({ request: { headers } });
}

// With a lazily built config, auth(handler) resolves to the wrapped handler instead of returning it.
const redirectSignedOut = Promise.resolve(
  auth((req) => {
    if (req.auth) return continueWithPolicy(req, req.headers.get(POLICY_CARRIER) ?? "");
    const { pathname, search } = req.nextUrl;
    const login = new URL("/login", req.nextUrl);
    if (pathname !== "/") login.searchParams.set("next", `${pathname}${search}`);
    return NextResponse.redirect(login);
  }) as unknown,
) as Promise<(req: NextRequest, ev: NextFetchEvent) => Promise<Response>>;

export async function proxy(req: NextRequest, ev: NextFetchEvent) {
  const policy = pageContentSecurityPolicy(createNonce(), { dev: env().NODE_ENV === "development" });
  let res: Response;
  if (req.nextUrl.pathname === "/login" || req.nextUrl.pathname.startsWith("/login/")) {
    res = continueWithPolicy(req, policy);
  } else {
    // The auth wrapper hands the handler its own request object: pass the policy along on a header.
    const headers = new Headers(req.headers);
    headers.set(POLICY_CARRIER, policy);
    res = await (await redirectSignedOut)(new NextRequest(req, { headers }), ev);
  }
  res.headers.set("Content-Security-Policy", policy);
  return res;
}

export const config = {
  // Pages only: not the API (answers 401 itself; its policy is in next.config.ts), Next's assets, files with
  // an extension.
  matcher: ["/((?!api|_next|favicon.ico|.*\\..*).*)"],
};
