// Moonraker's job queue (server.job_queue.*): a FIFO of G-code files; when a print completes and
// the queue is "ready", the next one starts (SDCARD_PRINT_FILE through the Host); a cancelled or
// failed print pauses the queue. Queued jobs persist in database namespace "moonraker".
import { randomBytes } from "../../util/crypto.ts";
import { statSync } from "node:fs";
import { join, normalize } from "node:path";
import * as v from "valibot";
import type { Database } from "../database/database.ts";
import { ApiError, endpoint, type ApiComponent, type ApiContext } from "../endpoint.ts";
import { bool } from "../params.ts";
import { watchPrintStats } from "../history/print-state.ts";

export type QueueState = "ready" | "loading" | "starting" | "paused";

interface QueuedJob {
  filename: string;
  job_id: string;
  time_added: number;
}

export interface JobQueueOptions {
  db: Database;
  /** Wall clock in ms (tests). */
  now?: () => number;
}

const NS = "moonraker";
const KEY = ["job_queue", "queued_jobs"];
const BUSY = new Set(["printing", "paused"]);

/** A list given as an array or, over HTTP, as "a.gcode,b.gcode". */
const nameList = v.union([v.array(v.string()), v.pipe(v.string(), v.transform((s) => s.split(",").filter((x) => x !== "")))]);

export function createJobQueueComponent(ctx: ApiContext, opts: JobQueueOptions): ApiComponent {
  const { db } = opts;
  const now = () => (opts.now ?? Date.now)() / 1000;
  const gcodes = join(ctx.dataDir, "gcodes");
  const stored = db.getOr(NS, KEY, []);
  const queue: QueuedJob[] = Array.isArray(stored) ? (stored as QueuedJob[]) : [];
  let state: QueueState = "ready";

  const status = () => ({
    queued_jobs: queue.map((j) => ({ ...j, time_in_queue: now() - j.time_added })),
    queue_state: state,
  });
  const changed = (action: string) => {
    db.set(NS, KEY, queue);
    ctx.notify("notify_job_queue_changed", [{ action, updated_queue: action === "state_changed" ? null : status().queued_jobs, queue_state: state }]);
  };
  const setState = (s: QueueState) => {
    if (s === state) return;
    state = s;
    changed("state_changed");
  };

  const printer = watchPrintStats(ctx.host, (_prev, ps) => {
    if (ps.state === "complete" && state === "ready" && queue.length > 0) void loadNext();
    else if ((ps.state === "cancelled" || ps.state === "error") && queue.length > 0) setState("paused");
  });
  const idle = () => ctx.host.state().state === "ready" && !BUSY.has(printer.current.state);

  async function loadNext(): Promise<void> {
    const job = queue.shift();
    if (!job) return;
    setState("loading");
    changed("job_loaded");
    setState("starting");
    try {
      await ctx.host.call("gcode/script", { script: `SDCARD_PRINT_FILE FILENAME="${job.filename}"` });
      setState("ready");
    } catch (e) {
      // Keep the job: the queue waits, paused, for someone to look at the printer
      queue.unshift(job);
      ctx.log.warn(`job queue: starting ${job.filename} failed: ${(e as Error).message}; queue paused`);
      setState("paused");
      changed("jobs_added");
    }
  }

  const checkFile = (name: string): string => {
    const rel = normalize(name).replace(/^\/+/, "");
    if (rel.startsWith("..") || /["\n\r]/.test(rel)) throw new ApiError(`Invalid filename: ${name}`, 400);
    try {
      if (statSync(join(gcodes, rel)).isFile()) return rel;
    } catch {
      // answered below
    }
    throw new ApiError(`File not found: ${name}`, 400);
  };

  return {
    name: "job_queue",
    endpoints: [
      endpoint({
        path: "/server/job_queue/status",
        verbs: ["GET"],
        params: v.object({}),
        handler: status,
      }),
      endpoint({
        path: "/server/job_queue/job",
        verbs: ["POST", "DELETE"],
        params: v.object({ filenames: v.optional(nameList), reset: v.optional(bool, false), job_ids: v.optional(nameList), all: v.optional(bool, false) }),
        handler: ({ params, verb }) => {
          if (verb === "DELETE") {
            if (params.all) queue.length = 0;
            else {
              if (!params.job_ids) throw new ApiError("job_ids missing", 400);
              const drop = new Set(params.job_ids);
              queue.splice(0, queue.length, ...queue.filter((j) => !drop.has(j.job_id)));
            }
            changed("jobs_removed");
            return status();
          }
          if (!params.filenames || params.filenames.length === 0) throw new ApiError("filenames missing", 400);
          // Every file is checked before any is queued: one bad name queues nothing
          const files = params.filenames.map(checkFile);
          if (params.reset) queue.length = 0;
          const t = now();
          for (const filename of files) queue.push({ filename, job_id: randomBytes(8).toString("hex").toUpperCase(), time_added: t });
          changed("jobs_added");
          return status();
        },
      }),
      endpoint({
        path: "/server/job_queue/pause",
        verbs: ["POST"],
        params: v.object({}),
        handler: () => {
          setState("paused");
          return status();
        },
      }),
      endpoint({
        path: "/server/job_queue/start",
        verbs: ["POST"],
        params: v.object({}),
        handler: () => {
          if (state === "loading" || state === "starting") return status();
          if (idle() && queue.length > 0) void loadNext();
          else setState("ready");
          return status();
        },
      }),
      endpoint({
        path: "/server/job_queue/jump",
        verbs: ["POST"],
        params: v.object({ job_id: v.string() }),
        handler: ({ params }) => {
          const i = queue.findIndex((j) => j.job_id === params.job_id);
          if (i < 0) throw new ApiError(`Invalid job id: ${params.job_id}`, 404);
          queue.unshift(...queue.splice(i, 1));
          changed("jobs_added");
          return status();
        },
      }),
    ],
    close: () => printer.stop(),
  };
}
