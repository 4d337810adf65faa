// Moonraker's job history (server.history.*): a job per print, recorded from print_stats state
// changes (printing → complete/cancelled/error, klippy shutdown/disconnect), totals, and
// notify_history_changed; jobs in database namespace "history", totals in "moonraker".
import { existsSync } from "node:fs";
import { join, normalize } from "node:path";
import * as v from "valibot";
import type { HostStateInfo } from "../../core/host.ts";
import type { Database } from "../database/database.ts";
import { isPlainObject } from "../database/key-path.ts";
import { ApiError, endpoint, type ApiComponent, type ApiContext } from "../endpoint.ts";
import { bool, int, num } from "../params.ts";
import { watchPrintStats, type PrintStats } from "./print-state.ts";

export interface HistoryJob {
  job_id: string;
  user: string | null;
  filename: string;
  status: string;
  start_time: number;
  end_time: number | null;
  print_duration: number;
  total_duration: number;
  filament_used: number;
  metadata: Record<string, unknown>;
  auxiliary_data: unknown[];
}

export interface JobTotals {
  total_jobs: number;
  total_time: number;
  total_print_time: number;
  total_filament_used: number;
  longest_job: number;
  longest_print: number;
}

export interface HistoryOptions {
  db: Database;
  /** G-code metadata of a file of the gcodes root, when the file manager knows it. */
  metadata?: (filename: string) => Promise<Record<string, unknown> | null>;
  /** Wall clock in ms (tests). */
  now?: () => number;
}

const JOBS = "history";
const META = "moonraker";
const FINISHED: Record<string, string> = { complete: "completed", cancelled: "cancelled", error: "error", standby: "cancelled" };
const ZERO_TOTALS: JobTotals = { total_jobs: 0, total_time: 0, total_print_time: 0, total_filament_used: 0, longest_job: 0, longest_print: 0 };

export function createHistoryComponent(ctx: ApiContext, opts: HistoryOptions): ApiComponent {
  const { db } = opts;
  const now = () => (opts.now ?? Date.now)() / 1000;
  const gcodes = join(ctx.dataDir, "gcodes");
  let current: HistoryJob | null = null;

  const jobs = (): HistoryJob[] => {
    const all = db.hasNamespace(JOBS) ? db.get(JOBS) : {};
    return (isPlainObject(all) ? (Object.values(all) as HistoryJob[]) : []).sort((a, b) => parseInt(a.job_id, 16) - parseInt(b.job_id, 16));
  };
  const totals = (): JobTotals => ({ ...ZERO_TOTALS, ...(db.getOr(META, ["history", "job_totals"], {}) as Partial<JobTotals>) });
  const withExists = (job: HistoryJob) => ({ ...job, exists: existsSync(join(gcodes, normalize(job.filename).replace(/^(\.\.(\/|$))+/, ""))) });
  const save = (job: HistoryJob) => db.set(JOBS, [job.job_id], job);

  // A job left "in_progress" by a previous run was interrupted (power cut, crash)
  for (const job of jobs()) if (job.status === "in_progress") save({ ...job, status: "interrupted" });

  const start = (ps: PrintStats) => {
    const id = Number(db.getOr(META, ["history", "next_job_id"], 0));
    db.set(META, ["history", "next_job_id"], id + 1);
    const job: HistoryJob = {
      job_id: id.toString(16).toUpperCase().padStart(6, "0"),
      user: null,
      filename: ps.filename,
      status: "in_progress",
      start_time: now(),
      end_time: null,
      print_duration: 0,
      total_duration: 0,
      filament_used: 0,
      metadata: {},
      auxiliary_data: [],
    };
    current = job;
    save(job);
    ctx.notify("notify_history_changed", [{ action: "added", job: withExists(job) }]);
    opts
      .metadata?.(ps.filename)
      .then((meta) => {
        if (!meta) return;
        const { print_start_time: _s, job_id: _j, ...rest } = meta;
        job.metadata = rest;
        if (db.getOr(JOBS, [job.job_id], null)) save(job);
      })
      .catch((e) => ctx.log.warn(`history: metadata of ${ps.filename}: ${(e as Error).message}`));
  };

  const finish = (status: string, ps: PrintStats) => {
    const job = current;
    if (!job) return;
    current = null;
    Object.assign(job, { status, end_time: now(), print_duration: ps.print_duration, total_duration: ps.total_duration, filament_used: ps.filament_used });
    save(job);
    const t = totals();
    db.set(META, ["history", "job_totals"], {
      total_jobs: t.total_jobs + 1,
      total_time: t.total_time + job.total_duration,
      total_print_time: t.total_print_time + job.print_duration,
      total_filament_used: t.total_filament_used + job.filament_used,
      longest_job: Math.max(t.longest_job, job.total_duration),
      longest_print: Math.max(t.longest_print, job.print_duration),
    } satisfies JobTotals);
    ctx.notify("notify_history_changed", [{ action: "finished", job: withExists(job) }]);
  };

  const watch = watchPrintStats(ctx.host, (prev, ps) => {
    if (ps.state === "printing" && prev !== "paused") {
      if (current) finish("cancelled", ps);
      start(ps);
    } else if (FINISHED[ps.state] && current) finish(FINISHED[ps.state]!, ps);
  });
  const offState = ctx.host.onStateChange((info: HostStateInfo) => {
    if (info.state === "shutdown") finish("klippy_shutdown", watch.current);
    else if (info.state === "disconnected") finish("klippy_disconnect", watch.current);
  });

  return {
    name: "history",
    endpoints: [
      endpoint({
        path: "/server/history/list",
        verbs: ["GET"],
        params: v.object({
          limit: v.optional(int, 50),
          start: v.optional(int, 0),
          since: v.optional(num),
          before: v.optional(num),
          order: v.optional(v.picklist(["asc", "desc"]), "desc"),
        }),
        handler: ({ params: p }) => {
          let list = jobs().filter((j) => (p.since === undefined || j.start_time > p.since) && (p.before === undefined || j.start_time < p.before));
          if (p.order === "desc") list.reverse();
          list = list.slice(Math.max(0, p.start), Math.max(0, p.start) + Math.max(0, p.limit));
          return { count: list.length, jobs: list.map(withExists) };
        },
      }),
      endpoint({
        path: "/server/history/job",
        verbs: ["GET", "DELETE"],
        params: v.object({ uid: v.optional(v.string()), all: v.optional(bool, false) }),
        handler: ({ params, verb }) => {
          if (verb === "DELETE" && params.all) {
            const ids = jobs().map((j) => j.job_id);
            for (const id of ids) db.delete(JOBS, [id]);
            current = null;
            return { deleted_jobs: ids };
          }
          const job = params.uid === undefined ? null : db.getOr(JOBS, [params.uid], null);
          if (!job) throw new ApiError(`Invalid job uid: ${params.uid ?? "(missing)"}`, 404);
          if (verb === "GET") return { job: withExists(job as HistoryJob) };
          db.delete(JOBS, [params.uid!]);
          if (current?.job_id === params.uid) current = null;
          return { deleted_jobs: [params.uid] };
        },
      }),
      endpoint({
        path: "/server/history/totals",
        verbs: ["GET"],
        params: v.object({}),
        handler: () => ({ job_totals: totals(), auxiliary_totals: [] }),
      }),
      endpoint({
        path: "/server/history/reset_totals",
        verbs: ["POST"],
        params: v.object({}),
        handler: () => {
          const last = totals();
          db.set(META, ["history", "job_totals"], { ...ZERO_TOTALS });
          return { last_totals: last, last_auxiliary_totals: [] };
        },
      }),
    ],
    close() {
      watch.stop();
      offState();
    },
  };
}
