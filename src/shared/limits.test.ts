import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { BodyLimit, formatBytes } from "./limits.ts";

/** Reads `stream` to its end: the bytes it emitted and the error it ended with, if any. */
function drain(stream: Readable): Promise<{ bytes: number; error: unknown }> {
  let bytes = 0;
  return new Promise((resolve) => {
    stream.on("data", (chunk: Buffer) => (bytes += chunk.length));
    stream.on("end", () => resolve({ bytes, error: undefined }));
    stream.on("error", (error) => resolve({ bytes, error }));
  });
}

const chunks = (count: number, size: number): Readable => Readable.from(Array.from({ length: count }, () => Buffer.alloc(size, 1)));

describe("BodyLimit", () => {
  it("passes a body within the limit through whole", async () => {
    const limit = new BodyLimit(chunks(4, 250), 1000);
    expect(await drain(limit)).toEqual({ bytes: 1000, error: undefined });
    expect(limit.exceeded).toBe(false);
  });

  it("fails past the limit, without passing on the chunk that crossed it", async () => {
    const limit = new BodyLimit(chunks(5, 300), 1000);
    const { bytes, error } = await drain(limit);
    expect(bytes).toBe(900);
    expect(error).toBeInstanceOf(Error);
    expect(limit.exceeded).toBe(true);
  });

  it("does not read its source until it is read", async () => {
    const source = chunks(1, 10);
    const limit = new BodyLimit(source, 1000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.readableDidRead).toBe(false);
    expect(await drain(limit)).toEqual({ bytes: 10, error: undefined });
    expect(source.readableDidRead).toBe(true);
  });
});

describe("formatBytes", () => {
  it.each([
    [16 * 1024, "16 KiB"],
    [100 * 1024 * 1024, "100 MiB"],
    [1.5 * 1024 * 1024, "1.5 MiB"],
    [1000, "1000 bytes"],
    [2 ** 30, "1 GiB"],
  ])("%i → %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
