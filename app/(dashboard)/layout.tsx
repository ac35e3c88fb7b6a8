import Link from "next/link";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { SignOutButton } from "@/components/auth/sign-out-button";
import { BrandMark } from "@/components/brand-mark";
import { NavLink } from "@/components/nav-link";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { roleDescriptions, roleLabels, type Role } from "@/lib/auth/roles";
import { getSessionUser } from "@/lib/auth/session";
import { NoWorkerBanner } from "@/components/live/no-worker-banner";
import { anyWorkerAlive } from "@/lib/db/queries/workers";

const roleTone: Record<Role, BadgeTone> = { viewer: "neutral", operator: "blue", admin: "yellow" };

export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const user = await getSessionUser();
  if (!user) redirect("/login");
  const workerAlive = await anyWorkerAlive().catch(() => true);

  return (
    <div className="min-h-screen">
      <header className="sticky top-0 z-40 bg-slate-900 text-white shadow-sm">
        <div className="mx-auto flex min-h-14 max-w-7xl flex-wrap items-center gap-x-2 gap-y-1 px-3 py-2 sm:flex-nowrap sm:gap-6 sm:px-6 sm:py-0">
          <Link href="/apps" className="flex shrink-0 items-center gap-2 rounded-md text-white" aria-label="Lifeboat">
            <BrandMark className="size-6 text-white" />
            <span className="hidden text-lg font-semibold tracking-tight md:inline">Lifeboat</span>
          </Link>
          {/* On a phone the links get their own row under the brand and account controls (Sign out stays visible). */}
          <nav aria-label="Main" className="order-last flex w-full min-w-0 items-center gap-0.5 overflow-x-auto sm:order-none sm:w-auto sm:gap-1">
            <NavLink href="/apps">Apps</NavLink>
            <NavLink href="/audit">Audit</NavLink>
            {user.role === "admin" && <NavLink href="/users">Users</NavLink>}
            {user.role === "admin" && <NavLink href="/tokens">Tokens</NavLink>}
            {user.role === "admin" && <NavLink href="/notifications">Notifications</NavLink>}
          </nav>
          <div className="ml-auto flex shrink-0 items-center gap-2 text-sm sm:gap-3">
            <Link href="/account" className="hidden text-slate-300 hover:text-white hover:underline lg:inline" data-testid="current-user" title="Your account">
              {user.email}
            </Link>
            <Link href="/account" title={`Your account · ${roleLabels[user.role]}: ${roleDescriptions[user.role]}`} className="rounded-full">
              <Badge tone={roleTone[user.role]}>{roleLabels[user.role]}</Badge>
            </Link>
            <SignOutButton />
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-7xl min-w-0 px-3 py-6 sm:px-6">
        {!workerAlive && <NoWorkerBanner />}
        {children}
      </main>
    </div>
  );
}
