// Formatting of the bench's results: console tables, and the markdown tables that go into
// bench/README.md. Every cell that compares shows a ratio to the baseline measured in the same run.

export const us = (v) => `${Math.round(v)}µs`;
export const signedUs = (v) => `${v >= 0 ? "+" : "−"}${Math.abs(Math.round(v))}µs`;
export const rate = (v, unit = "msg/s") => `${Math.round(v).toLocaleString("en-US")} ${unit}`;
export const x = (r) => `${r.toFixed(2)}×`;
export const bytes = (v) => `${v.toLocaleString("en-US")} B`;
export const median = (xs) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A plain-text table: first column left-aligned, the rest right-aligned. */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ")).join("\n");
}

const md = (rows) => [rows[0], rows[0].map(() => "---"), ...rows.slice(1)].map((r) => `| ${r.join(" | ")} |`).join("\n");

/** Labels over all browsers, in the order of the longest list (Chromium has paths Firefox has not). */
const labels = (lists) => [...new Set(lists.slice().sort((a, b) => b.length - a.length).flat())];

function browserVersion(info) {
  const m = info.userAgent.match(/(Firefox|Chrome)\/([\d.]+)/);
  return m ? `${m[1] === "Chrome" ? "Chromium" : "Firefox"} ${m[2].split(".")[0]}` : info.userAgent;
}

/** The README's results section for one run. */
export function markdown({ date, load, results, size, config }) {
  const out = [];
  const head = (first) => [first, ...results.map((r) => browserVersion(r.info))];
  out.push(`Run of ${date}: loopback, ${load.cores}-core VM (1-minute load average ${load.before.toFixed(1)} at the start, ${load.after.toFixed(1)} at the end), headless ${results.map((r) => browserVersion(r.info)).join(" and ")}. `
    + `Counts: latency ${config.N} round trips per client (${config.N_HTTP} on SSE and long polling; after ${config.WARMUP}); throughput ${config.M.toLocaleString("en-US")} messages `
    + `(${config.M_HTTP.toLocaleString("en-US")} on SSE and long polling), median of up to ${config.REPS} rounds (ran: ${results.map((r) => `${r.name} ${r.throughput[0].reps}`).join(", ")}, within the ${config.BUDGET_S} s budget per browser); batch ${config.BATCH.maxMessages} / ${config.BATCH.flushIntervalMs} ms; `
    + `${config.CYCLES.toLocaleString("en-US")} connect/close cycles. Each ratio is to a baseline from the same run and browser.`);

  out.push("\n**Latency**: median round trip of a 32-byte text (p95), ×raw WebSocket of the same group, Δ median. "
    + "Each group is interleaved (one round trip on each client in turn) and has its own raw WebSocket");
  const lRows = [head("echo server: client")];
  for (let t = 0; t < results[0].latency.length; t++) {
    const target = results[0].latency[t].target;
    const rowsOf = (r) => r.latency[t].rows;
    for (const label of labels(results.map((r) => rowsOf(r).map((l) => l.label)))) {
      lRows.push([`${target}: ${label}`, ...results.map((r) => {
        const raw = rowsOf(r)[0];
        const l = rowsOf(r).find((v) => v.label === label);
        return l ? `${us(l.medianUs)} (${us(l.p95Us)}) ${x(l.medianUs / raw.medianUs)} ${signedUs(l.medianUs - raw.medianUs)}` : "—";
      })]);
    }
  }
  out.push(md(lRows));

  out.push("\n**Throughput**: `{\"n\":i}` objects sent in one loop until every echo is back in order, msg/s (×raw WebSocket)");
  const tpRows = [head("client")];
  for (const label of labels(results.map((r) => r.throughput.map((v) => v.label)))) {
    tpRows.push([label, ...results.map((r) => {
      const v = r.throughput.find((t) => t.label === label);
      return v ? `${rate(v.perSec)} (${x(v.perSec / r.throughput[0].perSec)})` : "—";
    })]);
  }
  out.push(md(tpRows));

  if (results.some((r) => r.codec.length)) {
    out.push("\n**Codec**: encode + decode of one frame, ops/s (×the guide's `BinaryDataHandler`)");
    const cRows = [head("payload, codec")];
    const keys = labels(results.map((r) => r.codec.map((c) => `${c.payload} (${c.bytes} B), ${c.impl}`)));
    for (const key of keys) {
      cRows.push([key, ...results.map((r) => {
        const c = r.codec.find((v) => `${v.payload} (${v.bytes} B), ${v.impl}` === key);
        if (!c) return "—";
        const base = median(r.codec.find((v) => v.payload === c.payload && v.impl.startsWith("guide")).runs);
        return `${rate(median(c.runs), "ops/s")} (${x(median(c.runs) / base)})`;
      })]);
    }
    out.push(md(cRows));
  }

  out.push(`\n**Memory** around ${config.CYCLES.toLocaleString("en-US")} connect/close cycles (classic WebSocket path): wasm \`memory.buffer.byteLength\` and JS heap (×the reading before the cycles)`);
  const cell = (reading, before) => `wasm ${bytes(reading.wasmBytes)} (${x(reading.wasmBytes / before.wasmBytes)}), heap ${reading.heap.bytes === null ? "unavailable" : `${bytes(reading.heap.bytes)} (${x(reading.heap.bytes / before.heap.bytes)})`}`;
  const mRows = [head("reading")];
  mRows.push(["after `init()`", ...results.map((r) => cell(r.memory.atInit, r.memory.before))]);
  mRows.push(["before (after 10 + 10 warm-up cycles)", ...results.map((r) => cell(r.memory.before, r.memory.before))]);
  mRows.push(["after the raw WebSocket cycles", ...results.map((r) => `${cell(r.memory.afterRaw, r.memory.before)}; ${r.memory.rawRun.cycles} in ${(r.memory.rawRun.ms / 1000).toFixed(1)} s`)]);
  mRows.push(["after the UniversalSocket cycles", ...results.map((r) => `${cell(r.memory.after, r.memory.before)}; ${r.memory.universalRun.cycles} in ${(r.memory.universalRun.ms / 1000).toFixed(1)} s; ${r.memory.after.liveListeners} live SDK listeners`)]);
  out.push(md(mRows));
  const heapSources = [...new Set(results.map((r) => `${r.name}: ${r.memory.before.heap.source}`))];
  out.push(`\nJS heap source — ${heapSources.join("; ")}.`);

  const full = size.ours[0].gz;
  out.push("\n**Size**, gzip -9 (peers bundled with esbuild `--minify`, format esm, platform browser), ×our full build");
  out.push(md([
    ["library", "raw", "gzip -9", "×ours (full)"],
    ...size.ours.flatMap((o) => [
      [`${o.name} (\`${o.dir}/\`: wasm + glue)`, bytes(o.raw), bytes(o.gz), x(o.gz / full)],
      [`${o.name}, glue through esbuild --minify`, bytes(o.wasm.raw + o.glueMinified.raw), bytes(o.gzMinified), x(o.gzMinified / full)],
    ]),
    ...size.peers.map((p) => [`${p.name} ${p.version}`, bytes(p.raw), bytes(p.gz), x(p.gz / full)]),
  ]));
  return out.join("\n");
}
