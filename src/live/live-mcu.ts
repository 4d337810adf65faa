// MCUs of a live printer: one Mcu per [mcu] / [mcu NAME] section, talking over a serial port, a pty
// or the in-process virtual MCU. Each is identified before the config is read (pins need its
// dictionary), is the pin chip of its pins, is configured in klippy:connect, and reports its own
// failures (firmware shutdown, restart, lost link) as a printer shutdown with Klipper's wording.
import { setupMcuPin } from "../core/mcu-pins/pin-setup.ts";
import { Mcu, type McuLogger, type McuShutdown } from "../mcu/mcu.ts";
import type { ByteTransport } from "../mcu/transport/index.ts";
import { lookupMotionQueuing } from "../motion/toolhead-module.ts";
import type { ConfigSection } from "../core/config/section.ts";
import type { PinChip, PinParams, PinType } from "../core/pins.ts";
import type { Printer } from "../core/printer.ts";
import { mcuShutdownMessage } from "./shutdown-messages.ts";

/** Time allowed for the reset command to go out before the link closes. */
const RESET_SEND_TIME = 0.05;

export class LiveMcu extends Mcu implements PinChip {
  /** `restart_method` of its section (null: Klipper's default for the board). */
  restartMethod: string | null = null;

  setupPin(pinType: PinType, params: PinParams): unknown {
    return setupMcuPin(this, pinType, params);
  }

  /**
   * FIRMWARE_RESTART: ask the MCU to reset itself (restart_method: command, or config_reset), then
   * give the command time to leave before the link is closed (a resetting MCU sends no ack).
   */
  async firmwareRestart(): Promise<boolean> {
    if (this.isShutdown() && this.shutdown?.eventType === "lost") return false;
    if (this.restartMethod !== null && this.restartMethod !== "command")
      this.log.warn(`MCU '${this.name}': restart_method ${this.restartMethod} is not supported by this build; trying the reset command`);
    const cmd = this.dict.hasCommand("reset") ? "reset" : this.dict.hasCommand("config_reset") ? "config_reset" : null;
    if (cmd === null) return false;
    this.sendLine(cmd);
    this.flush();
    await new Promise((r) => setTimeout(r, RESET_SEND_TIME * 1000));
    return true;
  }
}

/** Options of an [mcu] section as Klipper reads them; returns the serial target. */
export function readMcuOptions(config: ConfigSection): { serial: string; baud: number; restartMethod: string | null } {
  const serial = config.get("serial");
  const baud = config.getInt("baud", 250000, { minval: 2400 });
  const restartMethod = config.getChoice("restart_method", [null as unknown as string, "arduino", "cheetah", "command", "rpi_usb"], null as unknown as string);
  return { serial, baud, restartMethod };
}

/** Name of the MCU of an [mcu ...] section ("mcu" for the unnamed one). */
export function mcuName(section: string): string {
  return section === "mcu" ? "mcu" : section.slice(4).trim();
}

/** A live MCU over `transport`, identified (data dictionary loaded, clock synchronised). */
export async function identifyLiveMcu(name: string, transport: ByteTransport, primary: LiveMcu | undefined, log: McuLogger): Promise<LiveMcu> {
  const mcu = new LiveMcu(name, { live: { transport, primary }, log });
  try {
    await mcu.identify();
  } catch (e) {
    await mcu.close().catch(() => {});
    throw new Error(`MCU '${name}': unable to connect: ${(e as Error).message}`);
  }
  return mcu;
}

/**
 * The printer object of one [mcu ...] section: the already identified MCU (its dictionary is
 * needed while the config is read), hooked into the printer's lifecycle: configured in
 * klippy:connect, its failures turned into a printer shutdown, stopped by any shutdown.
 */
export function setupLiveMcu(config: ConfigSection, printer: Printer, mcu: LiveMcu): LiveMcu {
  mcu.restartMethod = readMcuOptions(config).restartMethod;
  printer.pins.registerChip(mcu.name, mcu);
  printer.registerEventHandler("klippy:connect", async () => {
    await mcu.connect();
    lookupMotionQueuing(printer).setupMcuMovequeue(mcu, mcu.moveCount);
  });
  mcu.onShutdown((s: McuShutdown) => {
    // An MCU that stops while the host restarts (FIRMWARE_RESTART) is expected
    if (printer.isShutdown() || printer.runResult !== null) return;
    printer.invokeShutdown(mcuShutdownMessage(s), { reason: s.reason, mcu: s.mcu, event_type: s.eventType, shutdown_clock: s.clock });
  });
  // A host-side shutdown stops every MCU at once (heaters off, steppers stopped)
  printer.registerEventHandler("klippy:shutdown", () => mcu.emergencyStop());
  return mcu;
}
