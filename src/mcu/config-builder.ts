// Collects one MCU's configuration the way klippy does: oids, config lines,
// lines re-sent after a host restart, init lines, and the CRC32 of the config
// text that `finalize_config` carries and `get_config` reports back.

export interface ConfigLineOptions {
  /** Sent after the config (and again after a host restart), not part of the CRC. */
  isInit?: boolean;
  /** Not part of the CRC; sent on first config and again when the MCU was already configured. */
  onRestart?: boolean;
}

export interface FinalConfig {
  /** allocate_oids first, then config lines, then finalize_config. */
  configCmds: string[];
  restartCmds: string[];
  initCmds: string[];
  crc: number;
}

export class ConfigBuilder {
  private oidCount = 0;
  private readonly callbacks: (() => void)[] = [];
  private readonly configCmds: string[] = [];
  private readonly restartCmds: string[] = [];
  private readonly initCmds: string[] = [];
  private final: FinalConfig | null = null;

  constructor(private readonly mcuName: string) {}

  createOid(): number {
    this.checkOpen("createOid");
    return this.oidCount++;
  }

  registerConfigCallback(cb: () => void): void {
    this.checkOpen("registerConfigCallback");
    this.callbacks.push(cb);
  }

  addConfigCmd(line: string, opts: ConfigLineOptions = {}): void {
    this.checkOpen("addConfigCmd");
    if (opts.isInit) this.initCmds.push(line);
    else if (opts.onRestart) this.restartCmds.push(line);
    else this.configCmds.push(line);
  }

  /** Run the config callbacks (they may still add lines), rewrite every line (pin aliases; before
   * the CRC, so the CRC covers what is sent) and freeze the config. */
  finalize(rewrite: (line: string) => string = (line) => line): FinalConfig {
    if (this.final) return this.final;
    for (const cb of this.callbacks) cb();
    const configCmds = [`allocate_oids count=${this.oidCount}`, ...this.configCmds].map(rewrite);
    const crc = crc32Text(configCmds.join("\n"));
    configCmds.push(`finalize_config crc=${crc}`);
    this.final = {
      configCmds,
      restartCmds: this.restartCmds.map(rewrite),
      initCmds: this.initCmds.map(rewrite),
      crc,
    };
    return this.final;
  }

  private checkOpen(what: string): void {
    if (this.final) throw new Error(`MCU '${this.mcuName}': ${what} after the config was finalized`);
  }
}

/** CRC32 (zlib polynomial) of the UTF-8 text, as an unsigned 32-bit number. */
export function crc32Text(text: string): number {
  return Bun.hash.crc32(text) >>> 0;
}
