import { z } from "zod";

/**
 * A whole number typed in a form or sent as JSON, refused with one message in words ("a whole number from 1 to
 * 100") — not zod's "Too big: expected number to be <=100" or "expected number, received NaN" (an outside tester
 * typed 99999, "54 32", "1e9" and "1.5"). Text must be decimal digits (spaces around them are fine).
 */
export function wholeNumber(min: number, max: number, unit?: string) {
  const message = `a whole number from ${min} to ${max}${unit ? ` ${unit}` : ""}`;
  return z.preprocess(
    (v) => (typeof v === "string" ? (/^\s*[0-9]+\s*$/.test(v) ? Number(v) : Number.NaN) : v),
    z.number({ message }).refine((n) => Number.isInteger(n) && n >= min && n <= max, message),
  );
}
