/** The text of the scale-from-zero, burst, memory and targets sections of `npm run bench`. */
import { summarize, ratio } from "./stats.mjs";
import { fmt, formatTable } from "./table.mjs";

const loadNote = (load) => (load === undefined ? "" : `; load average after: ${load}`);

const summaryRow = (name, values) => {
  const s = summarize(values);
  return [name, String(s.n), fmt.ms(s.min), fmt.ms(s.p50), fmt.ms(s.p99), fmt.ms(s.max)];
};

/** Scale-from-zero: figures, ratios to `node -e 0`, and what the samples waited for. */
export function coldSection({ cold, node, timings, functions, error, load }) {
  const lines = [`scale from zero — bench/apps/cold.ts: ${functions.length} fastapiEndpoint functions (own labels, scaledownWindow 2), cycled${loadNote(load)}`];
  if (error !== undefined) lines.push(`FAILED: ${error}`);
  const rows = [["measure", "n", "min ms", "p50 ms", "p99 ms", "max ms"]];
  if (cold !== undefined) {
    rows.push(summaryRow("first response at zero (fresh connection, to last byte)", cold.cold));
    rows.push(summaryRow("next request, warm container (fresh connection)", cold.warm));
  }
  rows.push(summaryRow("node -e 0 (spawn → exit)", node));
  const ofCold = timings.filter((t) => functions.includes(t.fn));
  for (const what of ["container start", "agent start → ready"]) {
    const values = ofCold.filter((t) => t.what === what).map((t) => t.ms);
    if (values.length > 0) rows.push(summaryRow(`  WHARF_TIMING: ${what}`, values));
  }
  lines.push(formatTable(rows));
  const c = summarize(cold?.cold ?? []);
  const n = summarize(node);
  lines.push(
    `cold p50 ÷ node p50 = ${fmt.ratio(ratio(c.p50, n.p50))} (target ≤ 0.20×); cold p99 ÷ node p99 = ${fmt.ratio(ratio(c.p99, n.p99))} (target ≤ 0.40×)`,
  );
  lines.push(
    "p99 is nearest-rank: with fewer than 100 samples it is the max. Each cold request waits for its function at zero on the status page, " +
      "then for every runtime agent to be idle for 150 ms with the standby refilled (so it finds the warmed standby the design keeps). " +
      "node -e 0 runs half before and half after the wharf app, never while it runs.",
  );
  if (cold !== undefined && cold.notQuiet > 0) lines.push(`${cold.notQuiet} cold request(s) went ahead after 3 s without the agents going quiet (the machine was busy)`);
  for (const failure of cold?.failures ?? []) lines.push(`FAILURE: ${failure}`);
  return lines;
}

/** The burst: all served?, latency, containers at the peak. */
export function burstSection({ burst, count, fn, handlerMs, maxContainers, timings = [], error, load }) {
  const lines = [`burst — ${count} concurrent GETs (one fresh connection each) to ${fn} at zero (handler ~${handlerMs} ms; maxInputs 1, maxContainers ${maxContainers})${loadNote(load)}`];
  if (error !== undefined || burst === undefined) {
    lines.push(`FAILED: ${error ?? "not run"}`);
    return lines;
  }
  const served = burst.statuses.get("200") ?? 0;
  const problems = [...[...burst.statuses].filter(([code]) => code !== "200"), ...burst.errors];
  lines.push(`served: ${served}/${count} answered 200 with the hello-world body; not served: ${problems.length === 0 ? "none" : problems.map(([what, n]) => `${n} × ${what}`).join(", ")}`);
  const s = summarize(burst.latencies);
  lines.push(`latency of the 200s: p50 ${fmt.ms(s.p50)} ms, p99 ${fmt.ms(s.p99)} ms, max ${fmt.ms(s.max)} ms; whole burst ${fmt.ms(burst.wallMs)} ms`);
  lines.push(`  (floor with ${maxContainers} containers × 1 input × ${handlerMs} ms: ${(Math.ceil(count / maxContainers) * handlerMs).toFixed(0)} ms for the last response, before any container start)`);
  lines.push(`containers at peak (status page polled every 25 ms): ${burst.peakContainers} serving, ${burst.peakWithStarting} counting those starting; containers started for the burst: ${burst.started}`);
  const starts = summarize(timings.filter((t) => t.what === "container start").map((t) => t.ms));
  if (starts.n > 0) lines.push(`  WHARF_TIMING container start during the burst: n ${starts.n}, min ${fmt.ms(starts.min)} ms, p50 ${fmt.ms(starts.p50)} ms, max ${fmt.ms(starts.max)} ms (the standby holds 2 warmed agents; the rest start a fresh node)`);
  return lines;
}

/** Idle memory: every agent's RSS, the bare server's, ratios for the median container and agent. */
export function memorySection({ memory, requests, error, load }) {
  const lines = [`idle memory — VmRSS of every runtime agent under wharf serve bench/apps/cold.ts vs a bare node http server, each after ${requests} requests (resident container)${loadNote(load)}`];
  if (error !== undefined || memory === undefined) {
    lines.push(`FAILED: ${error ?? "not run"}`);
    return lines;
  }
  const mib = (kib) => (kib === undefined ? "—" : (kib / 1024).toFixed(1));
  const rows = [["process", "pid", "RSS MiB", "÷ bare node"]];
  rows.push(["bare node http", "", mib(memory.bareKiB), "1.00×"]);
  const sandboxes = memory.agents.filter((a) => a.role === "sandbox");
  const agents = memory.agents.filter((a) => a.role !== "sandbox");
  const sorted = [...agents].sort((a, b) => (a.role === b.role ? a.rssKiB - b.rssKiB : a.role === "container" ? -1 : 1));
  for (const a of sorted) {
    const label = a.role === "container" ? `container of ${a.fn ?? "?"}` : "standby agent";
    rows.push([label, String(a.pid), mib(a.rssKiB), fmt.ratio(ratio(a.rssKiB, memory.bareKiB))]);
  }
  rows.push(["wharf CLI (gateway + control), for context", "", mib(memory.gatewayKiB), fmt.ratio(ratio(memory.gatewayKiB, memory.bareKiB))]);
  const med = (list) => summarize(list.map((a) => a.rssKiB)).p50;
  if (sandboxes.length > 0) rows.push([`sandbox process (bubblewrap), median of ${sandboxes.length}: one per agent`, "", mib(med(sandboxes)), fmt.ratio(ratio(med(sandboxes), memory.bareKiB))]);
  lines.push(formatTable(rows));
  const containers = agents.filter((a) => a.role === "container");
  lines.push(
    `median idle container ÷ bare node = ${fmt.ratio(ratio(med(containers), memory.bareKiB))} (target ≤ 1.20×; ${containers.length} containers); ` +
      `median of all ${agents.length} agents (containers and standby) ÷ bare node = ${fmt.ratio(ratio(med(agents), memory.bareKiB))}` +
      (sandboxes.length > 0 ? `; with its sandbox process, a container costs ${mib(med(containers) + med(sandboxes))} MiB` : ""),
  );
  lines.push("(the median of an even count is the lower middle value)");
  for (const failure of memory.failures) lines.push(`FAILURE: ${failure}`);
  return lines;
}

/** ✓/✗ lines: [{ name, value (number | undefined), target: "≤" | "≥", limit, unit: "×" | "" , show? }]. */
export function targetsSection(checks) {
  const rows = [["", "figure", "this run", "target"]];
  for (const c of checks) {
    const met = c.value === undefined ? undefined : c.target === "≤" ? c.value <= c.limit : c.value >= c.limit;
    rows.push([met === undefined ? "?" : met ? "✓" : "✗", c.name, c.show ?? fmt.ratio(c.value), `${c.target} ${c.limitText ?? fmt.ratio(c.limit)}`]);
  }
  return [formatTable(rows)];
}
