import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { reconcileDump, type DumpReconciliation } from "./dump-recovery";
import type { JournalEntry } from "./journal";
import { reconcileReleaseSwitch, RELEASE_COMPLETE_MARKER } from "./releases";

// The file-side reconciles over typed journals, table-driven, on real files in temp directories. (The
// database-side ones, and the waits for processes that outlive their job, are in reconcile.int.test.ts and
// lib/jobs/backup-recovery.int.test.ts.)

const FILE = "db_backup_manual_1.sql";
const COMPLETE = "SET x = 1;\nCOPY t FROM stdin;\n1\n\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n";
const TRUNCATED = "SET x = 1;\nCOPY t FROM stdin;\n1\n";
const sha = (s: string) => crypto.createHash("sha256").update(s).digest("hex");
const start = { step: "dump:start", detail: { file: FILE, partial: `${FILE}.partial` } };
const noServer = { host: "127.0.0.1", port: 1, user: "nobody", database: "none" };

describe("reconcileDump", () => {
  const cases: {
    name: string;
    journal: JournalEntry[];
    files: Record<string, string>;
    outcome: DumpReconciliation["outcome"];
    after: string[];
    decision: RegExp;
  }[] = [
    { name: "nothing journaled", journal: [], files: {}, outcome: "not_started", after: [], decision: /before pg_dump started/ },
    {
      name: "a complete partial (pg_dump finished after the job died) is read back and kept",
      journal: [start],
      files: { [`${FILE}.partial`]: COMPLETE },
      outcome: "kept",
      after: [FILE],
      decision: /written completely .*kept it as/,
    },
    {
      name: "a truncated partial nothing writes any more is removed",
      journal: [start],
      files: { [`${FILE}.partial`]: TRUNCATED },
      outcome: "removed",
      after: [],
      decision: /removed .*does not read back/,
    },
    {
      name: "a renamed, complete file is kept",
      journal: [start, { step: "dump:verified", detail: { file: FILE, sizeBytes: COMPLETE.length, sha256: sha(COMPLETE) } }],
      files: { [FILE]: COMPLETE },
      outcome: "kept",
      after: [FILE],
      decision: /written completely; read it back/,
    },
    {
      name: "a final file whose checksum differs from the journaled one is left, not kept",
      journal: [start, { step: "dump:verified", detail: { file: FILE, sizeBytes: 1, sha256: sha("other") } }],
      files: { [FILE]: COMPLETE },
      outcome: "left",
      after: [FILE],
      decision: /sha256 differs/,
    },
    {
      name: "a final file that does not read back is never removed",
      journal: [start],
      files: { [FILE]: TRUNCATED },
      outcome: "left",
      after: [FILE],
      decision: /does not read back/,
    },
    { name: "no file at all", journal: [start], files: {}, outcome: "absent", after: [], decision: /no file/ },
    {
      name: "a malformed start step is reported and nothing is touched",
      journal: [{ step: "dump:start", detail: { file: 7 } }],
      files: { [`${FILE}.partial`]: TRUNCATED },
      outcome: "not_started",
      after: [`${FILE}.partial`],
      decision: /malformed detail/,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), "lb-dump-rec-"));
      for (const [n, text] of Object.entries(c.files)) await fs.writeFile(path.join(dir, n), text);
      const r = await reconcileDump(c.journal, { target: noServer, dir, format: "plain", pgRestore: "/nonexistent" });
      expect(r.outcome, r.decisions.join("; ")).toBe(c.outcome);
      expect(r.decisions.join("; ")).toMatch(c.decision);
      expect((await fs.readdir(dir)).sort()).toEqual(c.after);
      if (c.outcome === "kept") expect(r.sha256).toBe(sha(COMPLETE));
    });
  }
});

describe("reconcileReleaseSwitch", () => {
  async function deployRoot(current: string | null) {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "lb-rel-rec-"));
    for (const r of ["r1", "r2", "r3"]) {
      await fs.mkdir(path.join(root, "releases", r), { recursive: true });
      await fs.writeFile(path.join(root, "releases", r, RELEASE_COMPLETE_MARKER), "");
    }
    if (current) await fs.symlink(path.join("releases", current), path.join(root, "current"));
    await fs.symlink(path.join("releases", "r1"), path.join(root, "current.tmp-0123456789abcdef"));
    return root;
  }
  const sw = (from: string | null, to: string) => ({ step: "rollback:switch", detail: { from, to, deployRoot: "/ignored" } });
  const cases: { name: string; current: string; journal: JournalEntry[]; finishTo: string | null; switched: boolean; now: string; previous: string | null; decision: RegExp }[] = [
    { name: "never journaled: current stays", current: "r3", journal: [], finishTo: null, switched: false, now: "r3", previous: "r3", decision: /stray temporary link/ },
    { name: "journaled, rename done", current: "r2", journal: [sw("r3", "r2")], finishTo: null, switched: true, now: "r2", previous: "r3", decision: /had been switched to r2/ },
    { name: "journaled, rename not done", current: "r3", journal: [sw("r3", "r2")], finishTo: null, switched: false, now: "r3", previous: "r3", decision: /had not been switched/ },
    { name: "the database was swapped: the switch is finished", current: "r3", journal: [], finishTo: "r2", switched: true, now: "r2", previous: "r3", decision: /finished the release switch: current → r2/ },
    {
      name: "a malformed switch step is reported",
      current: "r3",
      journal: [{ step: "rollback:switch", detail: { to: 3 } }],
      finishTo: null,
      switched: false,
      now: "r3",
      previous: "r3",
      decision: /malformed detail/,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const root = await deployRoot(c.current);
      const r = await reconcileReleaseSwitch(c.journal, { deployRoot: root, finishTo: c.finishTo, allowUnmarked: false });
      expect({ switched: r.switched, current: r.current, previous: r.previousRelease }).toEqual({ switched: c.switched, current: c.now, previous: c.previous });
      expect(r.decisions.join("; ")).toMatch(c.decision);
      expect((await fs.readdir(root)).filter((n) => n.startsWith("current.tmp-"))).toEqual([]);
      expect(path.basename(await fs.readlink(path.join(root, "current")))).toBe(c.now);
    });
  }
});
