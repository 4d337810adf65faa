// Reads what Cura's job list needs from the first part of a G-code file as it streams past: the
// slicer's time estimate (Cura ";TIME:", PrusaSlicer/Orca "estimated printing time") and the largest
// embedded PNG thumbnail ("; thumbnail begin WxH len" … "; thumbnail end").

export interface GcodeHead {
  /** Estimated print time in seconds, 0 if the slicer gave none. */
  estimatedSeconds: number;
  thumbnail: Uint8Array | null;
}

const HEAD_BYTES = 1024 * 1024;

function parseDuration(text: string): number {
  // "1d 2h 3m 4s" style
  let s = 0;
  for (const m of text.matchAll(/(\d+)\s*([dhms])/g)) s += Number(m[1]) * { d: 86400, h: 3600, m: 60, s: 1 }[m[2] as "d" | "h" | "m" | "s"];
  return s;
}

export function parseGcodeHead(text: string): GcodeHead {
  let estimatedSeconds = 0;
  const cura = /^;TIME:(\d+(?:\.\d+)?)/m.exec(text);
  if (cura) estimatedSeconds = Math.round(Number(cura[1]));
  else {
    const prusa = /^; estimated printing time[^=]*=\s*(.+)$/m.exec(text);
    if (prusa?.[1]) estimatedSeconds = parseDuration(prusa[1]);
  }
  let thumbnail: Uint8Array | null = null;
  let best = 0;
  for (const m of text.matchAll(/^; thumbnail begin (\d+)x(\d+) \d+\r?\n([\s\S]*?)^; thumbnail end/gm)) {
    const area = Number(m[1]) * Number(m[2]);
    if (area <= best) continue;
    const b64 = (m[3] ?? "").replace(/^;\s?/gm, "").replace(/\s+/g, "");
    const bytes = Buffer.from(b64, "base64");
    if (bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50) {
      thumbnail = bytes;
      best = area;
    }
  }
  return { estimatedSeconds, thumbnail };
}

/** A pass-through that keeps the first megabyte; `result()` parses it once the stream has ended. */
export function gcodeHeadScanner(): { stream: TransformStream<Uint8Array, Uint8Array>; result(): GcodeHead } {
  const parts: Uint8Array[] = [];
  let kept = 0;
  return {
    stream: new TransformStream({
      transform(chunk, ctl) {
        if (kept < HEAD_BYTES) {
          const take = chunk.subarray(0, HEAD_BYTES - kept);
          parts.push(take.slice());
          kept += take.byteLength;
        }
        ctl.enqueue(chunk);
      },
    }),
    result: () => parseGcodeHead(Buffer.concat(parts).toString("latin1")),
  };
}
