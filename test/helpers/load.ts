/**
 * A bounded load generator for tests: `connections` loops sending requests back to back until
 * `stop()` (or `maxMs`), counting every answer by status and body. Loopback only.
 */
import { Pool } from "undici";

export interface LoadResult {
  ok: number;
  failed: { status: number; text: string }[];
  bodies: Map<string, number>;
}

export function startLoad(port: number, host: string, opts: { connections?: number; maxMs?: number; path?: string } = {}) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: opts.connections ?? 8 });
  const result: LoadResult = { ok: 0, failed: [], bodies: new Map() };
  let running = true;
  const deadline = Date.now() + (opts.maxMs ?? 60_000);
  const loop = async (): Promise<void> => {
    while (running && Date.now() < deadline) {
      try {
        const answer = await pool.request({ path: opts.path ?? "/", method: "GET", headers: { host: `${host}:${port}` } });
        const text = await answer.body.text();
        if (answer.statusCode === 200) {
          result.ok++;
          result.bodies.set(text, (result.bodies.get(text) ?? 0) + 1);
        } else result.failed.push({ status: answer.statusCode, text });
      } catch (err) {
        result.failed.push({ status: 0, text: err instanceof Error ? err.message : String(err) });
      }
    }
  };
  const loops = Array.from({ length: opts.connections ?? 8 }, loop);
  return {
    result,
    async stop(): Promise<LoadResult> {
      running = false;
      await Promise.all(loops);
      await pool.close();
      return result;
    },
  };
}
