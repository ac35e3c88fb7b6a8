import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// STYLE rule 19: no file imports its importer — the picture of lib/'s imports has no circle and no arrow
// running up (lib/ops never reaches into lib/jobs or lib/db; nothing in lib/ imports Next).
const ROOT = path.resolve(import.meta.dirname, "..");

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [p] : [];
  });
}

function resolve(from: string, spec: string): string | null {
  const base = spec.startsWith("@/") ? path.join(ROOT, spec.slice(2)) : spec.startsWith(".") ? path.resolve(path.dirname(from), spec) : null;
  if (!base) return null;
  for (const c of [base, `${base}.ts`, `${base}.tsx`, path.join(base, "index.ts")]) if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  return null;
}

function graph(): Map<string, { local: string[]; bare: string[] }> {
  const g = new Map<string, { local: string[]; bare: string[] }>();
  for (const file of sources(path.join(ROOT, "lib"))) {
    const text = fs.readFileSync(file, "utf8");
    const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"|(?:^|\n)\s*import\s+"([^"]+)"/g)].map((m) => m[1] ?? m[2]!);
    const local: string[] = [];
    const bare: string[] = [];
    for (const s of specs) {
      const r = resolve(file, s);
      if (r) local.push(r);
      else if (!s.startsWith(".") && !s.startsWith("@/")) bare.push(s);
    }
    g.set(file, { local, bare });
  }
  return g;
}

const rel = (p: string) => path.relative(ROOT, p);

// Known and not yet moved (2026-12-01): Next's redirect / unstable_rethrow belong in app/ (STYLE rule 19).
// Listed so that no new one appears; delete a line when its import moves out.
const KNOWN_NEXT_IMPORTS = new Set(["lib/actions/wrapper.ts → next/navigation", "lib/auth/session.ts → next/navigation"]);

describe("lib/ import picture", () => {
  const g = graph();

  it("has no import cycle", () => {
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, "open");
      stack.push(f);
      for (const to of g.get(f)?.local ?? []) {
        if (!g.has(to)) continue;
        if (state.get(to) === "open") cycles.push([...stack.slice(stack.indexOf(to)), to].map(rel).join(" → "));
        else if (!state.has(to)) visit(to);
      }
      stack.pop();
      state.set(f, "done");
    };
    for (const f of g.keys()) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it("has no arrow running up: lib/ops imports neither lib/jobs nor lib/db, lib/ imports nothing from next", () => {
    const up: string[] = [];
    for (const [file, { local, bare }] of g) {
      const from = rel(file);
      if (from.startsWith("lib/ops/")) for (const to of local.map(rel)) if (/^lib\/(jobs|db)\//.test(to)) up.push(`${from} → ${to}`);
      for (const b of bare) if ((b === "next" || b.startsWith("next/")) && !KNOWN_NEXT_IMPORTS.has(`${from} → ${b}`)) up.push(`${from} → ${b}`);
    }
    expect(up).toEqual([]);
  });
});
