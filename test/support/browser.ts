// The real headless browser the UI tests drive: Debian's chromium (apt) under playwright-core, no
// browser download. Tests skip with a clear message when it is not installed.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const haveChromium = existsSync(CHROMIUM);

/** Warn (once per test file) why the browser tests of `what` are skipped. */
export function warnIfNoChromium(what: string): void {
  if (!haveChromium) console.warn(`${what} skipped: no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
}

/**
 * Headless chromium; --no-sandbox because CI runs it as root. Its processes run at the lowest CPU
 * priority: a UI redrawing charts must not starve the printer host under test on a small machine
 * (the in-process virtual MCU shuts down with "Timer too close" when its process stalls).
 */
export async function launchChromium(): Promise<Browser> {
  const before = new Set(descendants(process.pid));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  // Renderers fork later from these (browser, zygotes) and inherit their priority
  const started = descendants(process.pid).filter((pid) => !before.has(pid));
  if (started.length > 0) {
    const r = Bun.spawnSync(["renice", "-n", "19", "-p", ...started.map(String)], { stdout: "ignore", stderr: "pipe" });
    if (r.exitCode !== 0) console.warn(`renice of chromium failed (runs at normal priority): ${r.stderr.toString().trim()}`);
  }
  return browser;
}

/** Every process below `root` (from /proc: pid → parent pid). */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")"
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}
