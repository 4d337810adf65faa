// A virtual printer for the live tests: the built-in printer.cfg (with extra sections as
// needed) in a temp data folder, a faster thermal plant, every response captured, and helpers
// that await what the printer reports instead of sleeping.
import type { HardwareConfig } from "../../firmware-bridge/index.ts";
import { type LivePrinter, startLivePrinter } from "../../src/live/live-printer.ts";
import { TempDir } from "../support/temp-dir.ts";
import { ensureDataDirs, virtualPrinterConfig, virtualPrinterHardware, type VirtualHardwareOptions } from "../../src/live/virtual-printer/index.ts";

/** Plant speed-up used by the tests (the host's control loop is the real one). */
export const TEST_TIME_SCALE = 10;

export interface TestPrinterOptions {
  /** Sections appended to (or overriding, when repeated) the built-in config. */
  extraConfig?: string;
  idleTimeout?: number;
  hardware?: VirtualHardwareOptions;
  /** Replace the simulated board entirely. */
  board?: HardwareConfig;
  logCommands?: boolean;
  /** Seconds the virtual board has been up at start (MCU clocks past 2^32 ticks). */
  uptime?: number;
}

export interface TestPrinter {
  lp: LivePrinter;
  dataDir: string;
  gcodesDir: string;
  /** Every G-code response line so far. */
  output: string[];
  logs: string[];
  /** Run a script; resolves with the responses it produced (throws on its error). */
  run(script: string): Promise<string[]>;
  /** Run and return the error message (fails the test if it succeeds). */
  runError(script: string): Promise<string>;
  /** Wait until `pred` holds, polling the event loop (fails after `timeout` seconds). */
  until(pred: () => boolean, what: string, timeout?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTestPrinter(opts: TestPrinterOptions = {}): Promise<TestPrinter> {
  const tmp = new TempDir("stepline-live-");
  const dataDir = tmp.path;
  const dirs = ensureDataDirs(dataDir);
  const configText =
    virtualPrinterConfig({ gcodesDir: dirs.gcodes, idleTimeout: opts.idleTimeout ?? 600, thermalTimeScale: TEST_TIME_SCALE }) + (opts.extraConfig ?? "");
  const logs: string[] = [];
  const log = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(`WARN ${m}`), error: (m: string) => logs.push(`ERROR ${m}`) };
  const lp = await startLivePrinter({
    configText,
    dataDir,
    log,
    board: {
      hardware: opts.board ?? virtualPrinterHardware({ thermalTimeScale: TEST_TIME_SCALE, ...opts.hardware }),
      logCommands: opts.logCommands ?? false,
      uptime: opts.uptime,
    },
  });
  const output: string[] = [];
  lp.onOutput((l) => output.push(l));
  const until = async (pred: () => boolean, what: string, timeout = 30) => {
    const deadline = performance.now() + timeout * 1000;
    while (!pred()) {
      if (performance.now() > deadline) throw new Error(`timed out after ${timeout} s waiting for ${what}\nlast output:\n${output.slice(-10).join("\n")}`);
      await Bun.sleep(20);
    }
  };
  return {
    lp,
    dataDir,
    gcodesDir: dirs.gcodes,
    output,
    logs,
    async run(script) {
      const from = output.length;
      await lp.printer.gcode.runScript(script);
      return output.slice(from);
    },
    async runError(script) {
      try {
        await lp.printer.gcode.runScript(script);
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error(`'${script}' did not fail`);
    },
    until,
    async close() {
      await lp.stop();
      tmp.remove();
    },
  };
}
