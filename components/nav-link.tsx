"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";

/** A top-bar link that marks itself current for its whole section (/apps/shop is under Apps). */
export function NavLink({ href, children }: { href: string; children: ReactNode }) {
  const pathname = usePathname();
  const current = pathname === href || pathname.startsWith(`${href}/`);
  return (
    <Link
      href={href}
      aria-current={current ? "page" : undefined}
      className={
        "rounded-md px-3 py-1.5 text-sm font-medium transition-colors " +
        (current ? "bg-white/15 text-white" : "text-slate-300 hover:bg-white/10 hover:text-white")
      }
    >
      {children}
    </Link>
  );
}
