import { z } from "zod";

// Row ids in forms, routes and the CLI. Most of Lifeboat's tables count with PostgreSQL's `serial` (int4): a
// larger number is no row of ours, said as such before any SQL is sent (it once reached the server and came
// back as a 500).
export const MAX_ROW_ID = 2_147_483_647;

/** A positive whole number up to MAX_ROW_ID; `what` names it in the error ("a backup id"). */
export const rowIdSchema = (what: string) =>
  z.coerce
    .number({ message: what })
    .int(what)
    .positive(what)
    .max(MAX_ROW_ID, `${what}: there is none that large (ids go up to ${MAX_ROW_ID})`);
