import { describe, expect, it } from "vitest";
import { MAX_ROW_ID, rowIdSchema } from "./ids";

// An outside tester's finding: the API took "0x3" as backup #3 and "1e3" as #1000, while the CLI refused both.
describe("rowIdSchema", () => {
  const id = rowIdSchema("a backup id");
  const messages = (v: unknown) => {
    const r = id.safeParse(v);
    return r.success ? [] : r.error.issues.map((i) => i.message);
  };

  it("takes decimal digits and JSON numbers", () => {
    expect(id.parse("3")).toBe(3);
    expect(id.parse(3)).toBe(3);
    expect(id.parse(String(MAX_ROW_ID))).toBe(MAX_ROW_ID);
  });

  it.each(["0x3", "1e3", "3.0", " 3", "3 ", "+3", "-1", "0", "", "abc", 0, -2, 1.5, Number.NaN, null, true])("refuses %j with one message naming it", (v) => {
    expect(messages(v)).toEqual(["a backup id"]);
  });

  it.each([String(MAX_ROW_ID + 1), "99999999999999999999", 2 ** 40])("refuses %j as too large, with one message", (v) => {
    expect(messages(v)).toEqual([`a backup id: there is none that large (ids go up to ${MAX_ROW_ID})`]);
  });
});
