import { describe, expect, it } from "vitest";
import { parseBackupListQuery } from "./backup-list";

describe("parseBackupListQuery", () => {
  it("reads page and filters", () => {
    expect(parseBackupListQuery({ page: "3", status: "ok", method: "clone", q: " v2 " })).toEqual({ page: 3, status: "ok", method: "clone", q: "v2" });
  });
  it("falls back to no filter on hostile or malformed values", () => {
    expect(parseBackupListQuery({ page: "-1; drop", status: "pwned", method: ["x", "dump"], q: "" })).toEqual({ page: 1, status: undefined, method: undefined, q: undefined });
    expect(parseBackupListQuery({})).toEqual({ page: 1, status: undefined, method: undefined, q: undefined });
  });
  it("takes the first of repeated parameters", () => {
    expect(parseBackupListQuery({ method: ["dump", "clone"] }).method).toBe("dump");
  });
});
