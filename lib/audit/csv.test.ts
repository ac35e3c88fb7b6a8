import { describe, expect, it } from "vitest";
import { csvCell, csvLine, isFormulaLike } from "./csv";

// OWASP CSV injection: what a spreadsheet would run as a formula, and what it would not.
const DANGEROUS = [
  "=HYPERLINK(\"http://evil.example\",\"x\")",
  "=1+1",
  "+1+1",
  "-2+3",
  "@SUM(A1:A2)",
  "\t=1+1",
  "\tcmd",
  "\r=1+1",
  "\n=1",
  " =1+1",
  "   +cmd|' /C calc'!A0",
  "\u00a0=1+1",
  "\u3000=1+1",
  "＝1+1",
  "＋1",
  "－1",
  "＠SUM(A1)",
  " ＝HYPERLINK(\"http://evil.example\")",
  "-",
];
const HARMLESS = ["plain", "a=b", "shop", "backups.start", "x+1", "ops@example.com", "", " spaced out", "1-2", "'quoted"];

describe("audit CSV (OWASP CSV injection)", () => {
  it.each(DANGEROUS)("neutralises %j with a leading apostrophe inside quotes", (value) => {
    expect(isFormulaLike(value)).toBe(true);
    const cell = csvCell(value);
    expect(cell).toBe(`"'${value.replace(/"/g, '""')}"`);
  });

  it.each(HARMLESS)("leaves %j as it is, quoted", (value) => {
    expect(isFormulaLike(value)).toBe(false);
    expect(csvCell(value)).toBe(`"${value.replace(/"/g, '""')}"`);
  });

  it("quotes every cell and doubles quotes (RFC 4180), so separators and newlines stay inside the cell", () => {
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell("line1\nline2")).toBe('"line1\nline2"');
    expect(csvCell('",=1+1')).toBe('""",=1+1"');
    expect(csvLine(["1", "x,y", "", "=cmd"])).toBe('"1","x,y","","\'=cmd"\r\n');
  });
});
