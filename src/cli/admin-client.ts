/**
 * How the CLI talks to a running `wharf server`: the address and admin token come from the data
 * dir's admin.json; answers are parsed with the admin API's schemas; failures become one-line
 * user errors that say what to do.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { z } from "zod";
import { adminFile, errorAnswer, type AdminFile } from "../control/admin-schemas.ts";
import { WharfError } from "../sdk/errors.ts";

export class AdminClient {
  private constructor(private readonly admin: AdminFile, private readonly file: string, private readonly dir: string) {}

  /** Reads DIR/admin.json, written by `wharf server --data DIR` when it starts. */
  static fromDataDir(dir: string): AdminClient {
    const file = join(dir, "admin.json");
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") throw new WharfError("NO_SERVER", `no Wharf server data in ${dir} (no admin.json): start one with wharf server --data ${dir}, or point at its data dir with --data DIR or WHARF_DATA`);
      throw new WharfError("NO_SERVER", `cannot read ${file}: ${(err as Error).message}`);
    }
    let parsed: AdminFile;
    try {
      parsed = adminFile.parse(JSON.parse(text));
    } catch {
      throw new WharfError("NO_SERVER", `${file} is not a Wharf admin file: restart wharf server --data ${dir} to rewrite it`);
    }
    return new AdminClient(parsed, file, dir);
  }

  /** One JSON call; resolves with the answer parsed by `schema`. */
  async call<S extends z.ZodType>(method: "GET" | "POST", path: string, schema: S, body?: unknown): Promise<z.infer<S>> {
    const response = await this.fetch(method, path, body);
    const text = await response.text();
    const value = this.json(text, path);
    if (!response.ok) throw this.failure(response.status, value);
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new WharfError("ADMIN_PROTOCOL", `the server's answer to ${method} ${path} is not what this CLI expects (is it another Wharf version?)`);
    return parsed.data;
  }

  /** A streamed text answer, chunk by chunk, until it ends or `signal` aborts. */
  async stream(path: string, onText: (text: string) => void, signal?: AbortSignal): Promise<void> {
    const response = await this.fetch("GET", path, undefined, signal);
    if (!response.ok) throw this.failure(response.status, this.json(await response.text(), path));
    if (response.body === null) return;
    const decoder = new TextDecoder();
    try {
      const reader = response.body.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) onText(decoder.decode(r.value, { stream: true }));
    } catch (err) {
      if (signal?.aborted === true) return;
      throw new WharfError("SERVER_GONE", `the Wharf server at ${this.admin.address} closed the stream: ${(err as Error).message}`);
    }
  }

  private async fetch(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
    try {
      return await fetch(new URL(path, this.admin.address), {
        method,
        headers: { authorization: `Bearer ${this.admin.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (err) {
      if (signal?.aborted === true) throw err;
      const code = (err as { cause?: { code?: string } }).cause?.code;
      if (code === "ECONNREFUSED") throw new WharfError("SERVER_DOWN", `no Wharf server answers at ${this.admin.address} (from ${this.file}): start it with wharf server --data ${this.dir}`);
      throw new WharfError("SERVER_GONE", `the Wharf server at ${this.admin.address} did not answer (${code ?? (err as Error).message}); if it stopped mid-change, see wharf app history`);
    }
  }

  private json(text: string, path: string): unknown {
    try {
      return JSON.parse(text);
    } catch {
      throw new WharfError("ADMIN_PROTOCOL", `the server at ${this.admin.address} answered ${path} with something other than JSON: is that port really a Wharf admin API?`);
    }
  }

  private failure(status: number, value: unknown): WharfError {
    const parsed = errorAnswer.safeParse(value);
    if (!parsed.success) return new WharfError("ADMIN_PROTOCOL", `the server answered ${status} without an error message`);
    const { code, message } = parsed.data.error;
    if (status === 401) return new WharfError(code, `the server refused the admin token in ${this.file}: it belongs to another server; restart wharf server --data ${this.dir}`);
    return new WharfError(code, message);
  }
}
