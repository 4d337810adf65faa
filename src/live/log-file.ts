// The printer's log file (<data>/logs/stepline.log, like Klipper's klippy.log): every line with
// its UTC time, also passed on to another log (the console).
import { closeSync, openSync, writeSync } from "node:fs";
import type { McuLogger } from "../mcu/mcu.ts";

/** Where the live printer's log lines go. */
export interface LiveLog extends McuLogger {
  error(msg: string): void;
}

export const consoleLiveLog: LiveLog = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
};

export class FileLog implements LiveLog {
  private fd: number | null;

  constructor(readonly path: string, private readonly echo: LiveLog | null = null) {
    try {
      this.fd = openSync(path, "a");
    } catch (e) {
      throw new Error(`cannot open log file '${path}': ${(e as Error).message}`);
    }
  }

  info(msg: string): void {
    this.write("INFO", msg);
    this.echo?.info(msg);
  }
  warn(msg: string): void {
    this.write("WARN", msg);
    this.echo?.warn(msg);
  }
  error(msg: string): void {
    this.write("ERROR", msg);
    this.echo?.error(msg);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private write(level: string, msg: string): void {
    if (this.fd === null) return;
    try {
      writeSync(this.fd, `${new Date().toISOString()} ${level} ${msg}\n`);
    } catch {
      // a full disk must not stop the printer; the console still gets the line
    }
  }
}
