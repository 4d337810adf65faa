// `stepline vmcu --pty PATH`: runs the virtual Klipper MCU standalone on a pseudo-terminal, so any
// Klipper-protocol host (Stepline, or klippy itself) can connect to PATH as to a serial MCU.
import { PtyServer } from "../../firmware-bridge/pty.ts";
import { VirtualMcu, type HardwareConfig } from "../../firmware-bridge/index.ts";
import { argsOrUsageError, type OptionSpecs, parseArgs, UsageError, wantsHelp } from "./args.ts";
import { untilSignal } from "./signals.ts";

const USAGE = `usage: stepline vmcu --pty PATH [--clock-freq HZ] [--hardware FILE.json] [--dict-out FILE]
  --pty PATH         create a pseudo-terminal and link it at PATH
  --clock-freq HZ    MCU clock, a whole number of MHz (default 72000000)
  --hardware FILE    JSON: simulated axes, endstops and heaters (see firmware-bridge/README.md)
  --dict-out FILE    write the data dictionary the MCU serves (a .dict file) and continue`;

interface Args {
  pty: string;
  clockFreq?: number;
  hardware?: string;
  dictOut?: string;
}

const OPTIONS = {
  pty: { names: ["--pty"] },
  clockFreq: { names: ["--clock-freq"] },
  hardware: { names: ["--hardware"] },
  dictOut: { names: ["--dict-out"] },
} satisfies OptionSpecs;

function readArgs(argv: string[]): Args {
  const opts = parseArgs(argv, OPTIONS);
  const pty = opts.get("pty");
  if (!pty) throw new UsageError("--pty PATH is required");
  const out: Args = { pty, hardware: opts.get("hardware"), dictOut: opts.get("dictOut") };
  const freq = opts.get("clockFreq");
  if (freq !== undefined) {
    const hz = Number(freq);
    if (!/^\d+$/.test(freq) || !Number.isSafeInteger(hz)) throw new UsageError(`--clock-freq must be an integer number of Hz, got '${freq}'`);
    out.clockFreq = hz;
  }
  return out;
}

async function loadHardware(path: string): Promise<HardwareConfig> {
  const file = Bun.file(path);
  if (!(await file.exists())) throw new Error(`--hardware: no such file '${path}'`);
  try {
    return JSON.parse(await file.text()) as HardwareConfig;
  } catch (e) {
    throw new Error(`--hardware ${path}: invalid JSON: ${(e as Error).message}`);
  }
}

export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(USAGE);
    return 0;
  }
  const args = argsOrUsageError("vmcu", USAGE, () => readArgs(argv));
  if (args === null) return 2;
  let mcu: VirtualMcu;
  let server: PtyServer;
  try {
    const hardware = args.hardware ? await loadHardware(args.hardware) : {};
    mcu = new VirtualMcu({ clockFreq: args.clockFreq, hardware, hardwareSource: args.hardware });
    if (args.dictOut) await Bun.write(args.dictOut, mcu.dictionaryText);
    server = new PtyServer(mcu, { path: args.pty, log: (l) => console.error(`stepline vmcu: ${l}`) });
    await server.start();
  } catch (e) {
    console.error(`stepline vmcu: ${(e as Error).message}`);
    return 1;
  }
  mcu.start();
  console.log(`stepline vmcu: ready on ${args.pty} (CLOCK_FREQ=${mcu.clockFreq})`);
  await untilSignal();
  mcu.stop();
  await server.stop();
  return 0;
}
