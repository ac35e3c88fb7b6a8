import { z } from "zod";

// Row ids in forms, routes and the CLI. Most of Lifeboat's tables count with PostgreSQL's `serial` (int4): a
// larger number is no row of ours, said as such before any SQL is sent (it once reached the server and came
// back as a 500).
export const MAX_ROW_ID = 2_147_483_647;

/** Text from a path, a query string or a form: decimal digits only ("0x3", "1e3", "3.0", " 3" are not ids). */
const fromText = (v: unknown) => (typeof v === "string" ? (/^[0-9]+$/.test(v) ? Number(v) : Number.NaN) : v);

/**
 * A positive whole number up to MAX_ROW_ID, given as a number (JSON) or as decimal digits (a path, a form), with
 * one message each: `what` names it ("a backup id"); a number too large says so. The CLI's idFlag is as strict.
 */
export const rowIdSchema = (what: string) =>
  z.preprocess(
    fromText,
    z.number({ message: what }).superRefine((n, ctx) => {
      if (!Number.isInteger(n) || n <= 0) ctx.addIssue({ code: "custom", message: what });
      else if (n > MAX_ROW_ID) ctx.addIssue({ code: "custom", message: `${what}: there is none that large (ids go up to ${MAX_ROW_ID})` });
    }),
  );
