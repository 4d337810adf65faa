// [virtual_sdcard]: print G-code files from a host folder (Klipper's virtual_sdcard). A print
// reads its file in 8 KiB chunks and runs it line by line, each line taking its turn at the
// G-code mutex so console commands interleave; a failing line ends the print in the "error"
// state (on_error_gcode runs), and the printer stays under control. Commands: M20 M21 M23 M24
// M25 M26 M27 (M28-M30 refused, as in Klipper), SDCARD_PRINT_FILE, SDCARD_RESET_FILE.
import { type Dirent, readdirSync, statSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { join, normalize } from "node:path";
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { GCodeError } from "../../core/gcode/errors.ts";
import { type GCodeTemplate, lookupGCodeMacro } from "../macros/gcode-macro.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { requireReactor } from "../../core/host-timers.ts";
import { NEVER, NOW } from "../../core/reactor.ts";
import type { PrintStats } from "./print-stats.ts";
import { expandUser } from "./save-variables.ts";

declare module "../../core/printer.ts" {
  interface PrinterObjects {
    virtual_sdcard: VirtualSD;
  }
}

export const VALID_GCODE_EXTS = ["gcode", "g", "gco"];
const READ_SIZE = 8192;

const DEFAULT_ERROR_GCODE = `
{% if 'heaters' in printer %}
   TURN_OFF_HEATERS
{% endif %}
`;

interface OpenFile {
  path: string;
  handle: FileHandle;
}

/** One run of the work loop; `stop` asks it to end before its next line. */
interface WorkToken {
  stop: boolean;
  started: boolean;
  done: Promise<void>;
}

export class VirtualSD {
  readonly dirname: string;
  private file: OpenFile | null = null;
  filePosition = 0;
  fileSize = 0;
  private nextFilePosition = 0;
  private work: WorkToken | null = null;
  private cmdFromSd = false;
  readonly printStats: PrintStats;
  private readonly onErrorGcode: GCodeTemplate;

  constructor(
    config: ConfigSection,
    private readonly printer: Printer,
  ) {
    this.dirname = normalize(expandUser(config.get("path")));
    this.printStats = printer.loadObject("print_stats");
    this.onErrorGcode = lookupGCodeMacro(printer).loadTemplate(config, "on_error_gcode", DEFAULT_ERROR_GCODE);
    const gcode = printer.gcode;
    gcode.register("M20", (g) => this.cmdM20(g));
    gcode.register("M21", (g) => g.respondRaw("SD card ok"));
    gcode.register("M23", (g) => this.cmdM23(g));
    gcode.register("M24", () => this.doResume());
    gcode.register("M25", () => this.doPause());
    gcode.register("M26", (g) => this.cmdM26(g));
    gcode.register("M27", (g) => this.cmdM27(g));
    for (const cmd of ["M28", "M29", "M30"])
      gcode.register(cmd, (g) => {
        throw g.error("SD write not supported");
      });
    gcode.register("SDCARD_RESET_FILE", (g) => this.cmdResetFile(g), { desc: "Clears a loaded SD File. Stops the print if necessary" });
    gcode.register("SDCARD_PRINT_FILE", (g) => this.cmdPrintFile(g), {
      desc: "Loads a SD file and starts the print.  May include files in subdirectories.",
    });
    printer.registerEventHandler("klippy:analyze_shutdown", () => {
      if (this.work) this.work.stop = true;
    });
    printer.registerEventHandler("gcode:debuginput_exit", () => this.work === null);
    printer.registerEventHandler("klippy:disconnect", () => {
      if (this.work) this.work.stop = true;
      void this.closeFile();
    });
  }

  // ---- files ----

  /** Files (relative path, size) sorted case-insensitively; with subdirs only G-code files. */
  getFileList(checkSubdirs = false): [string, number][] {
    try {
      if (!checkSubdirs) {
        return readdirSync(this.dirname, { withFileTypes: true })
          .filter((d) => !d.name.startsWith(".") && isFile(d, this.dirname))
          .map((d): [string, number] => [d.name, statSync(join(this.dirname, d.name)).size])
          .sort(([a], [b]) => cmpLower(a, b));
      }
      const out: [string, number][] = [];
      const walk = (rel: string) => {
        for (const d of readdirSync(join(this.dirname, rel), { withFileTypes: true })) {
          const r = rel ? `${rel}/${d.name}` : d.name;
          const full = join(this.dirname, r);
          if (statSync(full).isDirectory()) walk(r);
          else if (VALID_GCODE_EXTS.includes(d.name.slice(d.name.lastIndexOf(".") + 1))) out.push([r, statSync(full).size]);
        }
      };
      walk("");
      return out.sort(([a], [b]) => cmpLower(a, b));
    } catch (e) {
      throw new GCodeError(`Unable to get file list: ${(e as Error).message}`);
    }
  }

  private async loadFile(gcmd: GCodeCommand, filename: string, checkSubdirs = false): Promise<void> {
    const files = this.getFileList(checkSubdirs);
    const exact = files.find(([f]) => f === filename) ?? files.find(([f]) => f.toLowerCase() === filename.toLowerCase());
    if (!exact) throw gcmd.error(`Unable to open file '${filename}': no such file in ${this.dirname}`);
    const path = join(this.dirname, exact[0]);
    let handle: FileHandle;
    let size: number;
    try {
      handle = await open(path, "r");
      size = (await handle.stat()).size;
    } catch (e) {
      throw gcmd.error(`Unable to open file '${filename}': ${(e as Error).message}`);
    }
    gcmd.respondRaw(`File opened:${filename} Size:${size}`);
    gcmd.respondRaw("File selected");
    this.file = { path, handle };
    this.filePosition = 0;
    this.fileSize = size;
    this.printStats.setCurrentFile(filename);
  }

  private async closeFile(): Promise<void> {
    const f = this.file;
    this.file = null;
    await f?.handle.close().catch((e) => console.error(`virtual_sdcard: closing ${f.path}: ${(e as Error).message}`));
  }

  // ---- status ----

  getStatus(): { file_path: string | null; progress: number; is_active: boolean; file_position: number; file_size: number } {
    return {
      file_path: this.file?.path ?? null,
      progress: this.progress(),
      is_active: this.isActive(),
      file_position: this.filePosition,
      file_size: this.fileSize,
    };
  }
  progress(): number {
    return this.fileSize ? this.filePosition / this.fileSize : 0;
  }
  isActive(): boolean {
    return this.work !== null;
  }
  isCmdFromSd(): boolean {
    return this.cmdFromSd;
  }
  /** Where the next line starts (a command run from the file may move it). */
  getFilePosition(): number {
    return this.nextFilePosition;
  }
  setFilePosition(pos: number): void {
    this.nextFilePosition = pos;
  }
  /** Resolves when the current print run (if any) has ended. */
  async waitIdle(): Promise<void> {
    await this.work?.done;
  }

  // ---- pause / resume / cancel (also used by pause_resume) ----

  /** Stop reading the file. Run from a command, it holds the G-code mutex, so no further line
   * of the file runs after it: the run counts as ended at once. */
  doPause(): void {
    const token = this.work;
    if (!token) return;
    token.stop = true;
    if (this.cmdFromSd) return;
    // Paused before its first line: like Klipper, the job still counts as started, then paused
    if (!token.started) {
      token.started = true;
      this.printStats.noteStart();
    }
    this.endWork(token, null);
  }

  doResume(): void {
    if (this.work) throw new GCodeError("SD busy");
    let finished!: () => void;
    const token: WorkToken = { stop: false, started: false, done: new Promise<void>((r) => (finished = r)) };
    this.work = token;
    const reactor = requireReactor(this.printer);
    reactor.registerTimer(
      "virtual_sdcard",
      () => {
        this.workLoop(token)
          .catch((e) => this.endWork(token, `Internal error in virtual_sdcard: ${(e as Error)?.message ?? e}`))
          .finally(finished);
        return NEVER;
      },
      NOW,
    );
  }

  async doCancel(): Promise<void> {
    if (this.file) {
      this.doPause();
      await this.closeFile();
      this.printStats.noteCancel();
    }
    this.filePosition = this.fileSize = 0;
  }

  private async resetFile(): Promise<void> {
    if (this.file) {
      this.doPause();
      await this.closeFile();
    }
    this.filePosition = this.fileSize = 0;
    this.printStats.reset();
    this.printer.sendEvent("virtual_sdcard:reset_file");
  }

  // ---- commands ----

  private cmdM20(gcmd: GCodeCommand): void {
    const files = this.getFileList();
    gcmd.respondRaw("Begin file list");
    for (const [name, size] of files) gcmd.respondRaw(`${name} ${size}`);
    gcmd.respondRaw("End file list");
  }

  private async cmdM23(gcmd: GCodeCommand): Promise<void> {
    if (this.work) throw gcmd.error("SD busy");
    await this.resetFile();
    let filename = gcmd.getRawCommandParameters().trim();
    if (filename.startsWith("/")) filename = filename.slice(1);
    await this.loadFile(gcmd, filename);
  }

  private cmdM26(gcmd: GCodeCommand): void {
    if (this.work) throw gcmd.error("SD busy");
    this.filePosition = gcmd.getInt("S", undefined, { minval: 0 });
  }

  private cmdM27(gcmd: GCodeCommand): void {
    if (!this.file) {
      gcmd.respondRaw("Not SD printing.");
      return;
    }
    gcmd.respondRaw(`SD printing byte ${this.filePosition}/${this.fileSize}`);
  }

  private async cmdResetFile(gcmd: GCodeCommand): Promise<void> {
    if (this.cmdFromSd) throw gcmd.error("SDCARD_RESET_FILE cannot be run from the sdcard");
    await this.resetFile();
  }

  private async cmdPrintFile(gcmd: GCodeCommand): Promise<void> {
    if (this.work) throw gcmd.error("SD busy");
    await this.resetFile();
    let filename = gcmd.get("FILENAME");
    if (filename.startsWith("/")) filename = filename.slice(1);
    await this.loadFile(gcmd, filename, true);
    this.doResume();
  }

  // ---- the print ----

  private endWork(token: WorkToken, errorMessage: string | null): void {
    if (this.work !== token) return;
    this.work = null;
    this.cmdFromSd = false;
    if (errorMessage !== null) this.printStats.noteError(errorMessage);
    else if (this.file) this.printStats.notePause();
    else this.printStats.noteComplete();
  }

  private async workLoop(token: WorkToken): Promise<void> {
    if (token.stop) return;
    token.started = true;
    const file = this.file;
    if (!file) {
      this.endWork(token, "No file selected to print");
      return;
    }
    this.printStats.noteStart();
    const gcode = this.printer.gcode;
    const decoder = new TextDecoder();
    const buf = new Uint8Array(READ_SIZE);
    let readPos = this.filePosition;
    let partial = "";
    let lines: string[] = [];
    let atEnd = false;
    let errorMessage: string | null = null;
    while (!token.stop) {
      if (!lines.length) {
        let n: number;
        try {
          n = (await file.handle.read(buf, 0, READ_SIZE, readPos)).bytesRead;
        } catch (e) {
          errorMessage = `Error reading ${file.path}: ${(e as Error).message}`;
          break;
        }
        if (n === 0) {
          // Unlike Klipper, an unterminated last line is not dropped
          if (partial) {
            lines = [partial];
            partial = "";
            atEnd = true;
            continue;
          }
          // Finish without yielding, so no command sees a closed file in a running print
          void this.closeFile();
          gcode.respondRaw("Done printing file");
          break;
        }
        readPos += n;
        const chunk = partial + decoder.decode(buf.subarray(0, n), { stream: true });
        lines = chunk.split("\n");
        partial = lines.pop()!;
        lines.reverse();
        continue;
      }
      const line = lines.pop()!;
      const lineEnd = this.filePosition + Buffer.byteLength(line) + (atEnd ? 0 : 1);
      const outcome = await gcode.mutex.run(async () => {
        if (token.stop) return "stopped" as const;
        this.cmdFromSd = true;
        this.nextFilePosition = lineEnd;
        try {
          await gcode.processCommands([line], false);
          return "ok" as const;
        } catch (e) {
          return e as Error;
        } finally {
          this.cmdFromSd = false;
        }
      });
      if (outcome === "stopped") break;
      if (outcome !== "ok") {
        errorMessage = outcome?.message ?? String(outcome);
        await this.runOnErrorGcode();
        break;
      }
      this.filePosition = this.nextFilePosition;
      if (this.nextFilePosition !== lineEnd) {
        // A command moved the read position (M26 from the file, exclude_object, loops)
        readPos = this.filePosition;
        lines = [];
        partial = "";
        atEnd = false;
        decoder.decode();
      }
    }
    this.endWork(token, errorMessage);
  }

  private async runOnErrorGcode(): Promise<void> {
    try {
      await this.printer.gcode.runScript(this.onErrorGcode.render());
    } catch (e) {
      console.error(`virtual_sdcard on_error_gcode: ${(e as Error)?.message ?? e}`);
    }
  }
}

const cmpLower = (a: string, b: string): number => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0);
const isFile = (d: Dirent, dir: string): boolean => d.isFile() || (d.isSymbolicLink() && statSync(join(dir, d.name)).isFile());

registerModule("virtual_sdcard", (config, printer) => new VirtualSD(config, printer));
