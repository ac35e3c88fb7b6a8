// Reading a job's log (lib/jobs/worker-run.ts writes "HH:MM:SS text", a phase as "HH:MM:SS — name", a
// command as "HH:MM:SS $ argv"). Pure, so the job page and its tests agree on what a phase is.

export interface Phase {
  name: string;
  /** Seconds since the job started (the first stamped line); null when the stamp is missing. */
  startSec: number;
  /** null while it runs (the last phase of a running job). */
  durationSec: number | null;
}

export interface LogLine {
  time: string | null;
  text: string;
  /** A command the job ran ("$ pg_dump …"): the page offers to copy it. */
  command: string | null;
}

const STAMP = /^(\d{2}):(\d{2}):(\d{2}) (.*)$/;

export function parseLogLines(log: string): LogLine[] {
  return log
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => {
      const m = STAMP.exec(l);
      const text = m ? m[4]! : l;
      return { time: m ? `${m[1]}:${m[2]}:${m[3]}` : null, text, command: text.startsWith("$ ") ? text.slice(2).replace(/\s{3}\(in .*\)$/, "") : null };
    });
}

const seconds = (t: string) => {
  const [h, m, s] = t.split(":").map(Number);
  return h! * 3600 + m! * 60 + s!;
};

/**
 * Phases in order with their durations: each lasts until the next one starts; the last one until the job
 * ended (`endTime`, "HH:MM:SS") or, if it still runs, has no duration. Stamps cross midnight at most once a day.
 */
export function phasesOf(lines: LogLine[], endTime: string | null): Phase[] {
  const stamped = lines.filter((l) => l.time);
  if (stamped.length === 0) return [];
  const base = seconds(stamped[0]!.time!);
  let dayOffset = 0;
  let prev = base;
  const at = (t: string) => {
    let s = seconds(t) + dayOffset;
    if (s < prev) {
      dayOffset += 86_400;
      s += 86_400;
    }
    prev = s;
    return s - base;
  };
  const starts: { name: string; sec: number }[] = [];
  for (const l of stamped) {
    const sec = at(l.time!);
    if (l.text.startsWith("— ")) starts.push({ name: l.text.slice(2), sec });
  }
  const end = endTime ? at(endTime) : null;
  return starts.map((p, i) => {
    const next = starts[i + 1]?.sec ?? end;
    return { name: p.name, startSec: p.sec, durationSec: next === null ? null : Math.max(0, next - p.sec) };
  });
}
