// `stepline` / `stepline run [--config printer.cfg] [--data DIR]`: run the printer host until
// SIGINT/SIGTERM. Without --config it runs the built-in virtual printer (its MCU is the in-process
// virtual MCU from firmware-bridge/); with --config it connects to the MCUs the config names
// (`[mcu] serial: /dev/serial/by-id/...`, `baud:`, or a pty path).
import { DEFAULT_GCODE_PTY, GCodePty } from "../live/gcode-pty.ts";
import type { LivePrinter } from "../live/live-printer.ts";
import { defaultDataDir, ensureDataDirs, lockDataDir } from "../live/virtual-printer/data-dir.ts";
import { startLiveHost } from "../live/host.ts";
import { DEFAULT_API_PORT, startWebApi, type WebApi } from "./web-api.ts";
import { argsOrUsageError, type OptionSpecs, parseArgs, wantsHelp } from "./args.ts";
import { useApplianceJitPolicy } from "./jit-policy.ts";
import { handBackStartupPages } from "./resident-pages.ts";
import { untilSignal } from "./signals.ts";

const USAGE = `usage: stepline run [--config printer.cfg] [--data DIR] [--gcode-pty PATH|none]
                    [--port N] [--host ADDR] [--web DIR] [--allow-power-control]
                    [--trusted-clients LIST] [--cors-domains LIST] [--force-logins]
                    [--no-cura] [--cura-port N] [--no-cura-mdns]
  --config FILE   printer.cfg naming the MCUs ([mcu] serial: /dev/serial/by-id/..., baud: 250000);
                  without it, the built-in virtual printer
  --data DIR      data folder (config/, gcodes/, logs/); default ~/printer_data
  --gcode-pty P   G-code terminal for OctoPrint or a serial console (a pty);
                  default ${DEFAULT_GCODE_PTY}, "none" for no terminal
  --port N        web API port (Moonraker-compatible HTTP + websocket); default ${DEFAULT_API_PORT},
                  0 for no web API
  --host ADDR     address the web API listens on; default 0.0.0.0 (every interface)
  --web DIR       serve a built web UI (Mainsail, Fluidd) from DIR at / on the same port
  --allow-power-control  let machine.reboot / machine.shutdown act (refused otherwise)
  --trusted-clients LIST  comma-separated addresses/CIDR ranges that need no API key or login;
                  default loopback and the subnets of this machine's interfaces
  --cors-domains LIST     comma-separated origins allowed cross-origin ("*.local,https://app.fluidd.xyz")
  --force-logins  once a user exists, trusted clients must log in too
  --no-cura       no Cura network printing (on by default with the web API: Cura finds the printer
                  over mDNS and prints to it through its Ultimaker cluster API)
  --cura-port N   Cura's port; default 80, the only one Cura's discovery uses (needs root or
                  CAP_NET_BIND_SERVICE); when it cannot be had, Cura's API stays on the web port
                  (in Cura: "Add printer by IP" with address:port)
  --no-cura-mdns  do not advertise the printer to Cura (_ultimaker._tcp) over mDNS`;

const OPTIONS = {
  config: { names: ["--config", "-c"] },
  data: { names: ["--data", "-d"] },
  gcodePty: { names: ["--gcode-pty", "-I"] },
  port: { names: ["--port", "-p"] },
  host: { names: ["--host"] },
  web: { names: ["--web"] },
  allowPower: { names: ["--allow-power-control"], flag: true },
  trustedClients: { names: ["--trusted-clients"] },
  corsDomains: { names: ["--cors-domains"] },
  forceLogins: { names: ["--force-logins"], flag: true },
  noCura: { names: ["--no-cura"], flag: true },
  curaPort: { names: ["--cura-port"] },
  noCuraMdns: { names: ["--no-cura-mdns"], flag: true },
} satisfies OptionSpecs;

const list = (s: string | undefined) => (s === undefined ? undefined : s.split(",").map((x) => x.trim()).filter((x) => x !== ""));

export async function run(args: string[]): Promise<number> {
  if (wantsHelp(args)) {
    console.log(USAGE);
    return 0;
  }
  const opts = argsOrUsageError("run", USAGE, () => parseArgs(args, OPTIONS));
  if (opts === null) return 2;
  const parsed = { config: opts.get("config"), data: opts.get("data"), gcodePty: opts.get("gcodePty") };
  const stopRequested = untilSignal();
  console.log(parsed.config ? `stepline: starting the printer from ${parsed.config}` : "stepline: starting the built-in virtual printer");
  const port = Number(opts.get("port") ?? DEFAULT_API_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`stepline run: --port must be a port number 0..65535, not '${opts.get("port")}'\n${USAGE}`);
    return 2;
  }
  const curaPort = Number(opts.get("curaPort") ?? 80);
  if (!Number.isInteger(curaPort) || curaPort < 0 || curaPort > 65535) {
    console.error(`stepline run: --cura-port must be a port number 0..65535, not '${opts.get("curaPort")}'\n${USAGE}`);
    return 2;
  }
  const dataDir = parsed.data ?? defaultDataDir();
  // One Stepline per data folder: refused before it writes the config, the log or the database
  let dataLock: { release(): void };
  try {
    dataLock = lockDataDir(ensureDataDirs(dataDir));
  } catch (e) {
    console.error(`stepline run: ${(e as Error).message}`);
    return 1;
  }
  let printer: LivePrinter;
  let api: WebApi | null = null;
  try {
    const live = await startLiveHost({ configPath: parsed.config, dataDir, logFile: true });
    printer = live.printer;
    if (port !== 0) {
      try {
        api = await startWebApi({
          host: live.host,
          dataDir,
          port,
          hostname: opts.get("host") ?? "0.0.0.0",
          webDir: opts.get("web"),
          allowPowerControl: opts.has("allowPower"),
          auth: { trustedClients: list(opts.get("trustedClients")), corsDomains: list(opts.get("corsDomains")), forceLogins: opts.has("forceLogins") },
          log: printer.log,
          cura: opts.has("noCura") ? undefined : { port: curaPort, advertise: !opts.has("noCuraMdns") },
        });
        console.log(`web API on ${api.url}${opts.get("web") ? ` (web UI from ${opts.get("web")})` : ""}`);
        if (api.cura) console.log(`Cura network printing: ${api.cura.port !== null ? `port ${api.cura.port} and ` : ""}the web port ${api.port}`);
      } catch (e) {
        // The printer keeps running (terminal, safety) without its web API
        console.error(`stepline: no web API on port ${port}: ${(e as Error).message}`);
      }
    }
  } catch (e) {
    console.error(`stepline run: ${(e as Error).message}`);
    dataLock.release();
    return 1;
  }
  // A bug that escapes every handler must not leave heaters running: shut down, keep serving
  const onHostException = (e: unknown) => printer.handleHostException(e);
  process.on("uncaughtException", onHostException);
  process.on("unhandledRejection", onHostException);
  const ptyPath = parsed.gcodePty ?? DEFAULT_GCODE_PTY;
  let pty: GCodePty | null = null;
  if (ptyPath !== "none") {
    const candidate = new GCodePty(printer, { path: ptyPath, log: (l) => console.log(l) });
    try {
      await candidate.start();
      pty = candidate;
      console.log(`G-code terminal on ${ptyPath}`);
    } catch (e) {
      // The printer runs without its terminal (the web API still works)
      await candidate.stop();
      console.error(`stepline: no G-code terminal: ${(e as Error).message}`);
    }
  }
  useApplianceJitPolicy(); // start-up is over: from here on only what runs again and again is worth compiling
  const startupOver = () => printer.log.info(handBackStartupPages().message);
  startupOver();
  printer.onStarted(startupOver); // each restart is a start-up again
  const sig = await stopRequested;
  console.log(`stepline: ${sig} received, shutting down`);
  await pty?.stop();
  await api?.stop();
  await printer.stop();
  process.off("uncaughtException", onHostException);
  process.off("unhandledRejection", onHostException);
  dataLock.release();
  console.log("stepline: stopped");
  return 0;
}
