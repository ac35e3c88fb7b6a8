import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { LoginForm } from "@/components/auth/login-form";
import { BrandMark } from "@/components/brand-mark";
import { throttledMessage } from "@/lib/auth/credentials";
import { METADATA_UNREACHABLE } from "@/lib/auth/db-unreachable";
import { safeNextPath } from "@/lib/auth/safe-next";
import { getSessionUser } from "@/lib/auth/session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const next = safeNextPath(params.next);
  // With the metadata database down the session cannot be checked: show the form, not an error page.
  const signedIn = await getSessionUser().catch(() => null);
  if (signedIn) redirect(next);
  // Auth.js sends refusals from its own endpoints here as ?error=…&code=…; say something useful, never the cause.
  const notice =
    params.code === "unavailable"
      ? METADATA_UNREACHABLE
      : params.code === "throttled"
        ? throttledMessage(null)
        : params.error
          ? "That sign-in did not work. Sign in with your email and password."
          : undefined;

  return (
    <main className="flex min-h-screen items-start justify-center bg-slate-100 px-4 pt-[12vh]">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex items-center justify-center gap-2 text-slate-900">
          <BrandMark className="size-8 text-slate-900" />
          <span className="text-2xl font-semibold tracking-tight">Lifeboat</span>
        </div>
        <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
          <h1 className="mb-1 text-lg font-semibold text-slate-900">Sign in</h1>
          <p className="mb-5 text-sm text-slate-600">Backups and rollbacks for your PostgreSQL apps.</p>
          <LoginForm next={next} notice={notice} />
        </div>
        <p className="mt-4 text-center text-xs text-slate-500">
          No account? An admin adds you on the Users page (or with <code className="font-mono">npm run lifeboat -- users add</code>).
        </p>
      </div>
    </main>
  );
}
