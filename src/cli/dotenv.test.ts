import { expect, it } from "vitest";
import { parseDotenv, parsePairs } from "./dotenv.ts";

it("reads the common forms", () => {
  const text = [
    "# comment",
    "",
    "PLAIN=value",
    "export EXPORTED=yes",
    "SPACED = around  ",
    "COMMENTED=kept # dropped",
    "HASH=a#b",
    "EMPTY=",
    "SINGLE='as $is \\n # kept'",
    'DOUBLE="line1\\nline2 \\"q\\" # kept" # dropped',
    'MULTI="first',
    'second"',
    "URL=postgres://u:p@h:5432/db?x=1",
    "PLAIN=later wins",
  ].join("\n");
  expect(parseDotenv(text, ".env")).toEqual({
    PLAIN: "later wins",
    EXPORTED: "yes",
    SPACED: "around",
    COMMENTED: "kept",
    HASH: "a#b",
    EMPTY: "",
    SINGLE: "as $is \\n # kept",
    DOUBLE: 'line1\nline2 "q" # kept',
    MULTI: "first\nsecond",
    URL: "postgres://u:p@h:5432/db?x=1",
  });
});

it("accepts CRLF line ends and a byte-order mark", () => {
  expect(parseDotenv("\uFEFFA=1\r\nB=2\r\n", ".env")).toEqual({ A: "1", B: "2" });
});

it.each([
  ["not KEY=VALUE", "A=1\njust words\n", ".env:2 is not KEY=VALUE"],
  ["a key starting with a digit", "1A=x", ".env:1 is not KEY=VALUE"],
  ["an unclosed quote", 'A="open\nB=2', '.env:1: the value of A opens a " quote that is never closed'],
  ["text after a quoted value", "A='x' y", ".env:1: unexpected text after the quoted value of A"],
])("refuses %s, naming file and line", (_what, text, message) => {
  expect(() => parseDotenv(text, ".env")).toThrow(message);
});

it("parses KEY=VALUE arguments, and never echoes a value in its error", () => {
  expect(parsePairs(["A=1", "B=x=y", "C="])).toEqual({ A: "1", B: "x=y", C: "" });
  expect(() => parsePairs(["NOPE"])).toThrow(`"NOPE" is not KEY=VALUE`);
  const error = (() => { try { parsePairs(["bad-key=hunter2"]); } catch (err) { return (err as Error).message; } return ""; })();
  expect(error).toContain(`"bad-key" is not KEY=VALUE`);
  expect(error).not.toContain("hunter2");
});
