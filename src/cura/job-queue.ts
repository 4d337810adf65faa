// Cura's print queue on a Stepline printer: jobs uploaded by Cura wait here, the next one starts
// (SDCARD_PRINT_FILE) when the printer is idle, and each job's state follows print_stats; Cura's
// actions become PAUSE / RESUME / CANCEL_PRINT or queue operations. Finished jobs stay listed a while.
import { randomUUID } from "../util/crypto.ts";
import type { Host, ObjectSubscription, StatusSnapshot } from "../core/host.ts";
import type { Logger } from "./mdns-advertiser.ts";

export type JobStatus =
  | "queued"
  | "pre_print"
  | "printing"
  | "pausing"
  | "paused"
  | "resuming"
  | "aborting"
  | "aborted"
  | "finished"
  | "failed";

export interface CuraJob {
  uuid: string;
  name: string;
  /** File name under gcodes/. */
  file: string;
  owner: string;
  createdAt: Date;
  status: JobStatus;
  force: boolean;
  estimatedSeconds: number;
  /** Seconds since this job started printing (print_stats.total_duration). */
  elapsedSeconds: number;
  startedAt: Date | null;
  endedAt: Date | null;
  thumbnail: Uint8Array | null;
}

/** A Cura action refused in the job's current state (answered 409) or an unknown job (404). */
export class JobActionError extends Error {
  constructor(
    message: string,
    readonly status: 404 | 409,
  ) {
    super(message);
    this.name = "JobActionError";
  }
}

export type CuraAction = "pause" | "print" | "abort";

const ACTIVE: ReadonlySet<JobStatus> = new Set(["pre_print", "printing", "pausing", "paused", "resuming", "aborting"]);
const DONE: ReadonlySet<JobStatus> = new Set(["aborted", "finished", "failed"]);

export interface JobQueueOptions {
  host: Host;
  log: Logger;
  /** How long finished/aborted jobs stay listed (ms). */
  keepFinishedMs?: number;
}

interface PrintStats {
  state: string;
  filename: string;
  /** print_stats.total_duration: time since the print started, pauses included (print_duration waits for the first extrusion). */
  duration: number;
}

export class JobQueue {
  private readonly jobs: CuraJob[] = [];
  private active: CuraJob | null = null;
  /** The active job has been seen printing (so a terminal print_stats state belongs to it). */
  private activeSeen = false;
  private stats: PrintStats = { state: "standby", filename: "", duration: 0 };
  private readonly sub: ObjectSubscription;
  private readonly offState: () => void;
  private starting = false;
  private readonly keepMs: number;

  constructor(private readonly opts: JobQueueOptions) {
    this.keepMs = opts.keepFinishedMs ?? 3600_000;
    this.sub = opts.host.subscribeObjects({ print_stats: ["state", "filename", "total_duration"] }, (changes) => this.onStatus(changes));
    this.onStatus(this.sub.status);
    this.offState = opts.host.onStateChange((s) => {
      // A shutdown ends the print (print_stats may still say "printing"): the job failed, or was aborted.
      const job = this.active;
      if (job && (s.state === "shutdown" || s.state === "error" || s.state === "disconnected")) this.finish(job, job.status === "aborting" ? "aborted" : "failed");
      void this.startNext();
    });
  }

  /** Every listed job: the queue in order, then the active and finished ones. */
  list(): readonly CuraJob[] {
    this.expire();
    return this.jobs;
  }

  get(uuid: string): CuraJob {
    const job = this.jobs.find((j) => j.uuid === uuid);
    if (!job) throw new JobActionError(`no print job ${uuid}`, 404);
    return job;
  }

  /** The printer's state as print_stats reports it (for the printer card). */
  printStatsState(): string {
    return this.stats.state;
  }

  activeJob(): CuraJob | null {
    return this.active;
  }

  add(file: string, name: string, owner: string, estimatedSeconds: number, thumbnail: Uint8Array | null): CuraJob {
    const job: CuraJob = {
      uuid: randomUUID(),
      name,
      file,
      owner,
      createdAt: new Date(),
      status: "queued",
      force: false,
      estimatedSeconds,
      elapsedSeconds: 0,
      startedAt: null,
      endedAt: null,
      thumbnail,
    };
    // Queued jobs sit before active/finished ones, after the other queued jobs.
    const lastQueued = this.jobs.findLastIndex((j) => j.status === "queued");
    this.jobs.splice(lastQueued + 1, 0, job);
    this.opts.log.info(`Cura: job "${name}" queued as ${file}`);
    void this.startNext();
    return job;
  }

  async action(uuid: string, action: CuraAction): Promise<void> {
    const job = this.get(uuid);
    const need: Record<CuraAction, readonly JobStatus[]> = {
      pause: ["printing"],
      print: ["paused"],
      abort: ["pre_print", "printing", "pausing", "paused", "resuming"],
    };
    if (!need[action].includes(job.status) || job !== this.active) {
      throw new JobActionError(`cannot ${action} job "${job.name}": it is ${job.status}`, 409);
    }
    const script = { pause: "PAUSE", print: "RESUME", abort: "CANCEL_PRINT" }[action];
    const before = job.status;
    job.status = { pause: "pausing", print: "resuming", abort: "aborting" }[action] as JobStatus;
    try {
      await this.opts.host.call("gcode/script", { script });
    } catch (e) {
      job.status = before;
      throw new JobActionError(`${script} failed: ${e instanceof Error ? e.message : String(e)}`, 409);
    }
    this.onStatus({}); // the state may already have settled while the script ran
  }

  moveToTop(uuid: string): void {
    const job = this.get(uuid);
    if (job.status !== "queued") throw new JobActionError(`cannot move job "${job.name}": it is ${job.status}, not queued`, 409);
    this.jobs.splice(this.jobs.indexOf(job), 1);
    this.jobs.unshift(job);
  }

  remove(uuid: string): CuraJob {
    const job = this.get(uuid);
    if (ACTIVE.has(job.status)) throw new JobActionError(`cannot delete job "${job.name}" while it is ${job.status}; abort it first`, 409);
    this.jobs.splice(this.jobs.indexOf(job), 1);
    return job;
  }

  setForce(uuid: string, force: boolean): void {
    this.get(uuid).force = force;
  }

  close(): void {
    this.sub.unsubscribe();
    this.offState();
  }

  private printerBusy(): boolean {
    return this.stats.state === "printing" || this.stats.state === "paused";
  }

  private async startNext(): Promise<void> {
    if (this.active || this.starting || this.printerBusy() || this.opts.host.state().state !== "ready") return;
    const job = this.jobs.find((j) => j.status === "queued");
    if (!job) return;
    this.starting = true;
    this.active = job;
    this.activeSeen = false;
    job.status = "pre_print";
    job.startedAt = new Date();
    try {
      await this.opts.host.call("gcode/script", { script: `SDCARD_PRINT_FILE FILENAME="${job.file}"` });
      this.opts.log.info(`Cura: started job "${job.name}"`);
    } catch (e) {
      this.opts.log.warn(`Cura: job "${job.name}" could not start: ${e instanceof Error ? e.message : String(e)}`);
      this.finish(job, "failed");
    } finally {
      this.starting = false;
    }
    this.onStatus({});
  }

  private onStatus(changes: StatusSnapshot): void {
    const ps = changes.print_stats;
    if (ps) {
      if (typeof ps.state === "string") this.stats.state = ps.state;
      if (typeof ps.filename === "string") this.stats.filename = ps.filename;
      if (typeof ps.total_duration === "number") this.stats.duration = ps.total_duration;
    }
    const job = this.active;
    if (job && this.stats.filename === job.file) {
      const st = this.stats.state;
      if (st === "printing" || st === "paused") this.activeSeen = true;
      if (this.activeSeen) job.elapsedSeconds = Math.round(this.stats.duration);
      if (st === "printing" && job.status !== "pausing" && job.status !== "aborting") job.status = "printing";
      else if (st === "paused" && job.status !== "resuming" && job.status !== "aborting") job.status = "paused";
      else if (this.activeSeen && (st === "complete" || st === "cancelled" || st === "error" || st === "standby")) {
        this.finish(job, st === "complete" ? "finished" : st === "cancelled" || job.status === "aborting" ? "aborted" : "failed");
      }
    }
    if (!this.active) void this.startNext();
  }

  private finish(job: CuraJob, status: JobStatus): void {
    job.status = status;
    job.endedAt = new Date();
    if (this.active === job) this.active = null;
    this.opts.log.info(`Cura: job "${job.name}" ${status}`);
  }

  private expire(): void {
    const cutoff = Date.now() - this.keepMs;
    for (let i = this.jobs.length - 1; i >= 0; i--) {
      const j = this.jobs[i]!;
      if (DONE.has(j.status) && j.endedAt && j.endedAt.getTime() < cutoff) this.jobs.splice(i, 1);
    }
  }
}
