// `release`'s command line, pure (no database): every malformed or hostile form is a UsageError naming it.
import { describe, expect, it } from "vitest";
import { UsageError } from "./cli-common";
import { parseReleaseArgs } from "./cli-release";

const REFUSED: [string[], RegExp][] = [
  [["shop", "--release"], /--release needs a value/],
  [["shop", "--release", ""], /--release needs a value/],
  [["shop", "--release="], /--release needs a value/],
  [["shop"], /--release is required/],
  [["shop", "--release", "../x"], /--release: a release directory name/],
  [["shop", "--release", "--wait"], /--release needs a value/],
  [["shop", "--release", "-rf"], /--release needs a value|--release: a release directory name/],
  [["shop", "--release", "current"], /--release: a release directory name/],
  [["shop", "--release", "r1", "--wait=yes"], /--wait takes no value/],
  [["shop", "--release", "r1", "--release", "r2"], /--release is given more than once/],
  [["shop", "--release", "r1", "--method", "copy"], /--method must be dump or clone/],
  [["shop", "--relase", "r1"], /unknown flag --relase/],
  [["shop", "--release", "r1", "now"], /unexpected argument "now"/],
  [["../shop", "--release", "r1"], /<app>/],
];

describe("release command line", () => {
  it.each(REFUSED)("refuses %j", (args, message) => {
    let error: unknown;
    try {
      parseReleaseArgs(args);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(message);
  });

  it("parses the forms a deploy script uses", () => {
    expect(parseReleaseArgs(["shop", "--release", "20261121T1000Z"])).toEqual({ app: "shop", release: "20261121T1000Z", wait: false, json: false, method: undefined, endSessions: false });
    expect(parseReleaseArgs(["shop", "--release=v1.4.2", "--wait", "--json", "--method", "clone", "--end-sessions"])).toEqual({
      app: "shop",
      release: "v1.4.2",
      wait: true,
      json: true,
      method: "clone",
      endSessions: true,
    });
  });
});
