// The byte links to a printer's MCUs, opened before the printer is built: a serial port or pty
// named in `serial:`, or the in-process virtual MCU for `serial: stepline:virtual-mcu`. Virtual
// MCUs outlive a host restart (like a board stays powered); each printer instance gets a fresh
// stream to them.
import { VirtualMcu, type HardwareConfig } from "../../firmware-bridge/index.ts";
import { type ByteTransport, createStreamPair, openSerialTransport } from "../mcu/transport/index.ts";
import type { PrinterConfig } from "../core/config/printer-config.ts";
import { VIRTUAL_MCU_SERIAL } from "./virtual-printer/config.ts";
import { virtualPrinterHardware } from "./virtual-printer/hardware.ts";
import { mcuName } from "./live-mcu.ts";

export interface VirtualBoardOptions {
  /** Simulated hardware of the virtual MCU (default: the built-in virtual printer's board). */
  hardware?: HardwareConfig;
  /** Record every command the virtual MCU executes (tests compare them with batch output). */
  logCommands?: boolean;
  /** Seconds the virtual board has been up when created (tests of MCU clocks past 2^32 ticks). */
  uptime?: number;
}

export class McuTransports {
  /** Virtual MCUs by MCU name, kept across restarts. */
  readonly virtual = new Map<string, VirtualMcu>();
  private open: ByteTransport[] = [];
  /** Host ends of the current links to virtual MCUs, by MCU name. */
  private readonly virtualLinks = new Map<string, ByteTransport>();

  constructor(private readonly board: VirtualBoardOptions = {}) {}

  /** A transport for every [mcu] / [mcu NAME] section of `config`, by MCU name. */
  async openAll(config: PrinterConfig): Promise<Map<string, ByteTransport>> {
    const out = new Map<string, ByteTransport>();
    for (const section of config.sectionNames()) {
      if (section !== "mcu" && !section.startsWith("mcu ")) continue;
      const s = config.getSection(section);
      if (s.get("canbus_uuid", null) !== null) throw new Error(`[${section}]: CAN bus MCUs (canbus_uuid) are not supported by this build`);
      const serial = s.get("serial", null);
      if (serial === null) throw new Error(`Option 'serial' in section '${section}' must be specified`);
      const name = mcuName(section);
      const t = serial === VIRTUAL_MCU_SERIAL ? this.virtualLink(name) : await this.serialLink(section, serial, s.getInt("baud", 250000, { minval: 2400 }));
      this.open.push(t);
      out.set(name, t);
    }
    return out;
  }

  private virtualLink(name: string): ByteTransport {
    let vmcu = this.virtual.get(name);
    if (!vmcu) {
      vmcu = new VirtualMcu({ hardware: this.board.hardware ?? virtualPrinterHardware(), logCommands: this.board.logCommands ?? false, uptime: this.board.uptime });
      vmcu.start();
      this.virtual.set(name, vmcu);
    }
    const [host, mcuEnd] = createStreamPair();
    vmcu.attach(mcuEnd);
    this.virtualLinks.set(name, host);
    return host;
  }

  private async serialLink(section: string, serial: string, baud: number): Promise<ByteTransport> {
    try {
      return await openSerialTransport(serial, baud);
    } catch (e) {
      throw new Error(`[${section}]: cannot open serial port '${serial}': ${(e as Error).message}`);
    }
  }

  /** Pull the cable of a virtual MCU: its link ends while the board keeps running (false: none). */
  unplugVirtual(name: string): boolean {
    const link = this.virtualLinks.get(name);
    if (!link) return false;
    void link.close();
    return true;
  }

  /** Close this printer instance's links (virtual MCUs keep running). */
  async closeLinks(): Promise<void> {
    for (const t of this.open.splice(0)) await t.close().catch(() => {});
    this.virtualLinks.clear();
  }

  /** Close everything, virtual MCUs included. */
  async closeAll(): Promise<void> {
    await this.closeLinks();
    for (const v of this.virtual.values()) v.stop();
    this.virtual.clear();
  }
}
