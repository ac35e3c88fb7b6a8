import NextAuth from "next-auth";
import { NextResponse, type NextFetchEvent, type NextRequest } from "next/server";
import { authConfig } from "@/lib/auth/config";

// Only a convenience: sends signed-out browsers to /login. It is not the guard (CVE-2025-29927 bypassed
// middleware); every page, action and API route checks the session and the role itself.
const { auth } = NextAuth(authConfig);

// With a lazily built config, auth(handler) resolves to the wrapped handler instead of returning it.
const redirectSignedOut = Promise.resolve(
  auth((req) => {
    if (req.auth) return NextResponse.next();
    const { pathname, search } = req.nextUrl;
    const login = new URL("/login", req.nextUrl);
    if (pathname !== "/") login.searchParams.set("next", `${pathname}${search}`);
    return NextResponse.redirect(login);
  }) as unknown,
) as Promise<(req: NextRequest, ev: NextFetchEvent) => Promise<Response>>;

export async function proxy(req: NextRequest, ev: NextFetchEvent) {
  return (await redirectSignedOut)(req, ev);
}

export const config = {
  // Not: the API (answers 401 itself), Next's assets, the login page, files with an extension.
  matcher: ["/((?!api|_next|login|favicon.ico|.*\\..*).*)"],
};
