// CPU time of processes from /proc (Linux), for the bench helpers that measure cost per message
// (bench/quick-wss.mjs, bench/speed-ablation.mjs): what a loaded 2-core machine moves far less
// than wall-clock rates. Resolution: one clock tick (`getconf CLK_TCK`, 100 per second on Linux).
import { execSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

/** Clock ticks per second, the unit of /proc/<pid>/stat's CPU times. */
export const TICKS_PER_SECOND = Number(execSync("getconf CLK_TCK").toString().trim()) || 100;

/** CPU seconds (user + system) of one process. */
export function cpuOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
}

/**
 * CPU seconds of `rootPid` and its descendants, split into the pages' processes (every
 * Chromium renderer, every Firefox tab process, the idle preallocated ones included) and the rest
 * (the browser, GPU, network, …).
 */
export function treeCpu(rootPid) {
  const procs = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      // Both browsers rewrite their children's command lines into one space-separated string.
      const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8");
      const page = cmd.includes("--type=renderer") || (cmd.includes("-contentproc") && /\stab\0?$/.test(cmd));
      procs.set(Number(d), { ppid, cpu: cpuOf(d), page });
    } catch {} // a process that ended while being read
  }
  const inTree = (pid) => { for (let p = pid; p > 1; p = procs.get(p)?.ppid ?? 0) if (p === rootPid) return true; return false; };
  const out = { page: 0, other: 0 };
  for (const [pid, p] of procs) if (inTree(pid)) out[p.page ? "page" : "other"] += p.cpu;
  return out;
}
