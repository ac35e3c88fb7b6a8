import { describe, expect, it } from "vitest";
import { PARALLEL_MIN_BYTES, parallelRestoreJobs } from "./restore-jobs";

describe("parallelRestoreJobs", () => {
  const big = PARALLEL_MIN_BYTES * 10;
  it.each([
    [{ cores: 2, tableData: 4, bytes: big }, 2, "the cores limit it"],
    [{ cores: 16, tableData: 3, bytes: big }, 3, "no more jobs than tables with data"],
    [{ cores: 64, tableData: 100, bytes: big }, 8, "at most 8"],
    [{ cores: 8, tableData: 1, bytes: big }, 1, "one table: nothing to run side by side"],
    [{ cores: 8, tableData: 50, bytes: PARALLEL_MIN_BYTES - 1 }, 1, "a small dump keeps --single-transaction"],
    [{ cores: 1, tableData: 50, bytes: big }, 1, "one core"],
  ])("%o → %i (%s)", (input, jobs) => {
    expect(parallelRestoreJobs(input)).toBe(jobs);
  });
});
