// Shared set-up: a manual-clock virtual MCU with a test host that already fetched its dictionary.
import { VirtualMcu, type VirtualMcuOptions } from "../../firmware-bridge/index.ts";
import { TestHost } from "./host.ts";

export const FREQ = 72_000_000;

export function connect(opts: VirtualMcuOptions = {}): { mcu: VirtualMcu; host: TestHost } {
  const mcu = new VirtualMcu({ clock: "manual", logCommands: true, ...opts });
  const host = new TestHost(mcu);
  host.identify();
  return { mcu, host };
}

/** Sends config lines the way klippy does: allocate_oids, the lines, finalize_config with a CRC. */
export function configure(host: TestHost, oids: number, lines: string[], crc = 0x1234abcd): void {
  host.send(`allocate_oids count=${oids}`, ...lines, `finalize_config crc=${crc}`);
}

export function shutdownReason(host: TestHost): string | undefined {
  return host.last("shutdown")?.params.static_string_id as string | undefined;
}
