import { z } from "zod";
import { smokeQueryProblem } from "@/lib/ops/drill";
import { slugSchema } from "./apps";

const checkbox = z.preprocess((v) => v === true || v === "on" || v === "true" || v === "1", z.boolean());

/** An app's drill settings: the smoke query runs read-only against the drill's scratch copy. */
export const drillSettingsSchema = z.object({
  app: slugSchema,
  smokeQuery: z.preprocess(
    (v) => (typeof v === "string" && v.trim() === "" ? null : v),
    z
      .string()
      .trim()
      .max(2000, "at most 2000 characters")
      .refine((q) => !smokeQueryProblem(q), { message: "one SELECT (or WITH … SELECT, VALUES, TABLE): the smoke query only reads" })
      .nullable()
      .default(null),
  ),
  drillAfterBackup: checkbox.default(false),
});
export type DrillSettingsInput = z.output<typeof drillSettingsSchema>;
