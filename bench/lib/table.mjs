/** Plain-text table: the first row is the header; numeric-looking cells are right-aligned. */
export function formatTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? "").length)));
  const numeric = (cell) => /^[-\d.,]+( ?[×%])?$|^—$/.test(cell);
  const line = (r) =>
    r
      .map((cell, i) => {
        const text = String(cell ?? "");
        return numeric(text) ? text.padStart(widths[i]) : text.padEnd(widths[i]);
      })
      .join("  ")
      .trimEnd();
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
}

export const fmt = {
  int: (n) => (n === null || n === undefined ? "—" : Math.round(n).toLocaleString("en-US")),
  ms: (n) => (n === null || n === undefined ? "—" : n.toFixed(2)),
  ratio: (n) => (n === null || n === undefined || !Number.isFinite(n) ? "—" : `${n.toFixed(2)}×`),
};
