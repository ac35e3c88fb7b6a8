import Link from "next/link";
import type { ReactNode } from "react";

/** The breadcrumbs of every page under one app: Apps / <app> /. */
export const appCrumbs = (slug: string) => [
  { href: "/apps", label: "Apps" },
  { href: `/apps/${slug}`, label: slug },
];

/** The top of a page: optional breadcrumbs, the title (the page's only h1), a description, actions on the right. */
export function PageHeader({
  title,
  description,
  actions,
  breadcrumbs,
}: {
  title: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
  breadcrumbs?: { href: string; label: string }[];
}) {
  return (
    <header className="flex flex-wrap items-end justify-between gap-4">
      <div className="min-w-0">
        {breadcrumbs && breadcrumbs.length > 0 && (
          <nav aria-label="Breadcrumb" className="mb-1 text-sm text-slate-500">
            {breadcrumbs.map((b) => (
              <span key={b.href}>
                <Link href={b.href} className="hover:text-slate-800 hover:underline">
                  {b.label}
                </Link>
                <span aria-hidden="true" className="px-1.5">
                  /
                </span>
              </span>
            ))}
          </nav>
        )}
        <h1 className="text-2xl break-words font-semibold tracking-tight text-slate-900">{title}</h1>
        {description && <p className="mt-1 text-sm text-slate-600">{description}</p>}
      </div>
      {actions && <div className="flex flex-wrap items-center gap-2">{actions}</div>}
    </header>
  );
}
