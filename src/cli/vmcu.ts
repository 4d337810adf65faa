// `stepline vmcu --pty PATH`: runs the virtual Klipper MCU standalone on a pseudo-terminal, so any
// Klipper-protocol host (Stepline, or klippy itself) can connect to PATH as to a serial MCU.
import { PtyServer } from "../../firmware-bridge/pty.ts";
import { VirtualMcu, type HardwareConfig } from "../../firmware-bridge/index.ts";

const USAGE = `usage: stepline vmcu --pty PATH [--clock-freq HZ] [--hardware FILE.json] [--dict-out FILE]
  --pty PATH         create a pseudo-terminal (via socat) and link it at PATH
  --clock-freq HZ    MCU clock, a whole number of MHz (default 72000000)
  --hardware FILE    JSON: simulated axes, endstops and heaters (see firmware-bridge/README.md)
  --dict-out FILE    write the data dictionary the MCU serves (a .dict file) and continue`;

interface Args {
  pty: string;
  clockFreq?: number;
  hardware?: string;
  dictOut?: string;
}

function parseArgs(args: string[]): Args | string {
  const out: Partial<Args> = {};
  for (let i = 0; i < args.length; i++) {
    const opt = args[i]!;
    const value = args[i + 1];
    const need = () => {
      if (value === undefined || value.startsWith("--")) throw new Error(`option ${opt} needs a value`);
      i++;
      return value;
    };
    try {
      if (opt === "--pty") out.pty = need();
      else if (opt === "--hardware") out.hardware = need();
      else if (opt === "--dict-out") out.dictOut = need();
      else if (opt === "--clock-freq") {
        const v = need();
        const hz = Number(v);
        if (!/^\d+$/.test(v) || !Number.isSafeInteger(hz)) return `--clock-freq must be an integer number of Hz, got '${v}'`;
        out.clockFreq = hz;
      } else return `unknown option '${opt}'`;
    } catch (e) {
      return (e as Error).message;
    }
  }
  if (!out.pty) return "--pty PATH is required";
  return out as Args;
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
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const args = parseArgs(argv);
  if (typeof args === "string") {
    console.error(`stepline vmcu: ${args}\n${USAGE}`);
    return 2;
  }
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
  await new Promise<void>((resolve) => {
    const quit = () => resolve();
    process.once("SIGINT", quit);
    process.once("SIGTERM", quit);
  });
  mcu.stop();
  await server.stop();
  return 0;
}
