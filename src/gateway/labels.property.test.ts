/**
 * Properties of label and custom-domain parsing (labels.ts) over arbitrary input: strings biased
 * towards label syntax, so the checks run near the valid/invalid boundary, and arbitrary Unicode.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { domainProblem, labelProblem, MAX_LABEL, resolveLabel, slug, truncateLabel } from "./labels.ts";

/** Label characters, their near misses, and characters whose case mapping changes length. */
const LABELISH = fc.string({ unit: fc.constantFrom(..."abcz09-_.A*K İß ".split("")), maxLength: 90 });
const ANY = fc.oneof(LABELISH, fc.string({ unit: "grapheme", maxLength: 90 }), fc.string({ unit: "binary", maxLength: 90 }));
const VALID_LABEL = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/);
const PARTS = fc.record({
  app: ANY,
  fn: ANY,
  method: fc.option(ANY, { nil: undefined }),
  explicit: fc.option(fc.oneof(ANY, VALID_LABEL), { nil: undefined }),
  dev: fc.boolean(),
});

/** The label rule written once more, independently: 1..63 of [a-z0-9-], no '-' at either end. */
const isLabel = (s: string): boolean => s.length >= 1 && s.length <= MAX_LABEL && /^[a-z0-9-]+$/.test(s) && !s.startsWith("-") && !s.endsWith("-");

describe("labels, for arbitrary input", () => {
  it("never throw", () => {
    fc.assert(
      fc.property(ANY, PARTS, (s, parts) => {
        labelProblem(s);
        domainProblem(s);
        slug(s);
        truncateLabel(s);
        resolveLabel(parts);
      }),
    );
  });

  it("labelProblem accepts exactly the DNS labels", () => {
    fc.assert(
      fc.property(fc.oneof(ANY, VALID_LABEL), (s) => {
        expect(labelProblem(s) === undefined).toBe(isLabel(s));
      }),
    );
  });

  it("every label resolveLabel returns is valid and at most 63 characters", () => {
    fc.assert(
      fc.property(PARTS, (parts) => {
        const result = resolveLabel(parts);
        if ("label" in result) {
          expect(labelProblem(result.label)).toBeUndefined();
          expect(result.label.length).toBeLessThanOrEqual(MAX_LABEL);
        } else expect(result.problem.length).toBeGreaterThan(0);
      }),
    );
  });

  it("a valid explicit label always resolves, with -dev under serve", () => {
    fc.assert(
      fc.property(VALID_LABEL, fc.boolean(), (explicit, dev) => {
        const result = resolveLabel({ app: "a", fn: "f", explicit, dev });
        const full = dev ? `${explicit}-dev` : explicit;
        expect(result).toEqual({ label: full.length <= MAX_LABEL ? full : truncateLabel(full) });
      }),
    );
  });

  it("truncation is at most 63, stable, deterministic, keeps short labels and the first 56 of long ones", () => {
    fc.assert(
      fc.property(fc.oneof(ANY, fc.string({ unit: fc.constantFrom("a", "-", "0"), minLength: 50, maxLength: 200 })), (s) => {
        const short = truncateLabel(s);
        expect(short.length).toBeLessThanOrEqual(MAX_LABEL);
        expect(truncateLabel(short)).toBe(short);
        expect(truncateLabel(s)).toBe(short);
        if (s.length <= MAX_LABEL) expect(short).toBe(s);
        else expect(short).toMatch(new RegExp(`^${escape(s.slice(0, 56))}-[0-9a-f]{6}$`, "s"));
      }),
    );
  });

  it("distinct long labels sharing their first 56 characters get distinct truncations", () => {
    const tail = fc.string({ unit: fc.constantFrom("a", "b"), minLength: 8, maxLength: 14 });
    fc.assert(
      fc.property(VALID_LABEL, tail, tail, (head, x, y) => {
        fc.pre(x !== y);
        const prefix = head.padEnd(56, "x").slice(0, 56);
        const [a, b] = [prefix + x, prefix + y];
        // 24 bits of SHA-256: a collision among a few hundred runs would be a bug, not luck.
        expect(truncateLabel(a)).not.toBe(truncateLabel(b));
      }),
    );
  });
});

describe("custom domains, for arbitrary input", () => {
  const DOMAIN = fc.tuple(fc.boolean(), fc.array(VALID_LABEL, { minLength: 2, maxLength: 4 })).map(([wild, labels]) => `${wild ? "*." : ""}${labels.join(".")}`);

  it("domainProblem accepts only lowercase names of 2+ valid labels (optionally *.), 1..253 long", () => {
    fc.assert(
      fc.property(fc.oneof(ANY, DOMAIN, LABELISH.map((s) => `*.${s}`)), (d) => {
        if (domainProblem(d) !== undefined) return;
        const name = d.startsWith("*.") ? d.slice(2) : d;
        expect(d).toBe(d.toLowerCase());
        expect(name.length).toBeGreaterThanOrEqual(1);
        expect(name.length).toBeLessThanOrEqual(253);
        const labels = name.split(".");
        expect(labels.length).toBeGreaterThanOrEqual(2);
        for (const label of labels) expect(isLabel(label)).toBe(true);
      }),
    );
  });

  it("domainProblem accepts every such name", () => {
    fc.assert(fc.property(DOMAIN, (d) => {
      fc.pre(d.replace(/^\*\./, "").length <= 253);
      expect(domainProblem(d)).toBeUndefined();
    }));
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
