// Turns an uploaded print job (.ufp, .gcode.gz, .gcode) into a stream of plain G-code bytes: UFP is
// unzipped as it streams (fflate's Unzip; /3D/model.gcode and /Metadata/thumbnail.png are taken),
// gzip is inflated as it streams, and every path is capped (a zip/gzip bomb stops at the limit).
import { Unzip, UnzipInflate, type UnzipFile } from "fflate";

/** A job upload that cannot be printed; the message is answered to the client (4xx). */
export class IntakeError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = "IntakeError";
  }
}

export type JobFormat = "ufp" | "gcode.gz" | "gcode";

export function formatOf(filename: string): JobFormat | null {
  const f = filename.toLowerCase();
  if (f.endsWith(".ufp")) return "ufp";
  if (f.endsWith(".gcode.gz")) return "gcode.gz";
  if (f.endsWith(".gcode") || f.endsWith(".gco") || f.endsWith(".g")) return "gcode";
  return null;
}

/** Job name = file name stem with Cura's character set (others → '-'), as Ultimaker printers name it. */
export function jobNameOf(filename: string): string {
  const base = filename.replace(/^.*[\\/]/, "").replace(/\.(ufp|gcode\.gz|gcode|gco|g)$/i, "");
  const name = base.replace(/[^A-Za-z0-9_\-.() ]/g, "-").replace(/^[.\s]+/, "").trim().slice(0, 120);
  return name || "print";
}

export interface Intake {
  /** Plain G-code bytes. */
  gcode: ReadableStream<Uint8Array>;
  /** The UFP's thumbnail PNG, known once `gcode` has been read to its end. */
  thumbnail(): Uint8Array | null;
}

const MAX_THUMBNAIL = 4 * 1024 * 1024;

/** Passes bytes through and fails once more than `max` have passed. */
function capped(max: number, what: string): TransformStream<Uint8Array, Uint8Array> {
  let total = 0;
  return new TransformStream({
    transform(chunk, ctl) {
      total += chunk.byteLength;
      if (total > max) throw new IntakeError(`${what} expands beyond the limit of ${max} bytes`, 413);
      ctl.enqueue(chunk);
    },
  });
}

function isGcodeEntry(name: string): boolean {
  return name.replace(/^\/+/, "") === "3D/model.gcode";
}
function isThumbnailEntry(name: string): boolean {
  return name.replace(/^\/+/, "") === "Metadata/thumbnail.png";
}

/** Streaming UFP (zip) → the bytes of /3D/model.gcode. */
function unzipUfp(onThumbnail: (png: Uint8Array) => void): TransformStream<Uint8Array, Uint8Array> {
  let failure: Error | null = null;
  let gcodeSeen = false;
  let gcodeDone = false;
  let ctl: TransformStreamDefaultController<Uint8Array> | null = null;
  const unzip = new Unzip((file: UnzipFile) => {
    if (isGcodeEntry(file.name) && !gcodeSeen) {
      gcodeSeen = true;
      file.ondata = (err, data, final) => {
        if (err) failure ??= new IntakeError(`UFP: /3D/model.gcode is corrupt (${err.message})`);
        else {
          if (data.byteLength > 0) ctl?.enqueue(data);
          if (final) gcodeDone = true;
        }
      };
      file.start();
    } else if (isThumbnailEntry(file.name)) {
      const parts: Uint8Array[] = [];
      let size = 0;
      file.ondata = (err, data, final) => {
        if (err) return; // a broken thumbnail only loses the preview
        size += data.byteLength;
        if (size <= MAX_THUMBNAIL) parts.push(data);
        if (final && size <= MAX_THUMBNAIL) onThumbnail(Buffer.concat(parts));
      };
      file.start();
    }
  });
  unzip.register(UnzipInflate);
  const push = (chunk: Uint8Array, final: boolean) => {
    try {
      unzip.push(chunk, final);
    } catch (e) {
      failure ??= new IntakeError(`UFP is not a valid zip file (${e instanceof Error ? e.message : String(e)})`);
    }
    if (failure) throw failure;
  };
  return new TransformStream({
    transform(chunk, c) {
      ctl = c;
      push(chunk, false);
    },
    flush(c) {
      ctl = c;
      push(new Uint8Array(0), true);
      if (!gcodeSeen) throw new IntakeError("UFP has no /3D/model.gcode (not a G-code print job, or not a zip file)");
      if (!gcodeDone) throw new IntakeError("UFP is truncated: /3D/model.gcode ends early");
    },
  });
}

/** Decode an upload of `format` into G-code, at most `maxBytes` of it. */
export function openIntake(body: ReadableStream<Uint8Array>, format: JobFormat, maxBytes: number): Intake {
  let thumb: Uint8Array | null = null;
  let gcode: ReadableStream<Uint8Array>;
  if (format === "ufp") gcode = body.pipeThrough(unzipUfp((png) => (thumb = png)));
  else if (format === "gcode.gz") {
    const gunzip = new DecompressionStream("gzip");
    // Its writable takes any BufferSource; we only ever write Uint8Array.
    gcode = body.pipeThrough({ readable: gunzip.readable, writable: gunzip.writable as WritableStream<Uint8Array> });
  }
  else gcode = body;
  return { gcode: gcode.pipeThrough(capped(maxBytes, "the G-code")), thumbnail: () => thumb };
}
