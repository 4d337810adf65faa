// Basic commands (firmware basecmd.c): identify, oid allocation, config CRC, clocks, emergency stop,
// clear_shutdown, debug ping, and the load statistics sent every 5 seconds.

import { HF_IN_SHUTDOWN } from "../command-flags.ts";
import type { CommandDecl, Firmware, FirmwareModule } from "../firmware.ts";
import { u32, u8 } from "./args.ts";

/** Divisor of the squared busy times in `stats` (dictionary constant STATS_SUMSQ_BASE). */
export const STATS_SUMSQ_BASE = 256;
const TWO32 = 4294967296;

export class BaseCommands implements FirmwareModule {
  readonly responses = [
    "identify_response offset=%u data=%.*s",
    "starting",
    "is_shutdown static_string_id=%hu",
    "shutdown clock=%u static_string_id=%hu",
    "stats count=%u sum=%u sumsq=%u",
    "uptime high=%u clock=%u",
    "clock clock=%u",
    "config is_config=%c crc=%u is_shutdown=%c move_count=%hu",
    "pong data=%*s",
  ];
  readonly commands: CommandDecl[];
  private configCrc = 0;
  private stats = { count: 0, sum: 0, sumsq: 0, sendTime: 0 };

  constructor(private readonly fw: Firmware, moveCount: number) {
    this.commands = [
      {
        format: "identify offset=%u count=%c",
        flags: HF_IN_SHUTDOWN,
        run: ([offset, count]) => {
          const data = this.fw.dictionary.zlib;
          const off = u32(offset);
          const n = off >= data.length ? 0 : Math.min(u8(count), data.length - off);
          this.fw.sendf("identify_response offset=%u data=%.*s", [off, data.subarray(off, off + n)]);
        },
      },
      { format: "allocate_oids count=%c", run: ([count]) => this.fw.oids.allocate(u8(count)) },
      {
        format: "get_config",
        flags: HF_IN_SHUTDOWN,
        run: () => {
          const moves = this.fw.moves;
          this.fw.sendf("config is_config=%c crc=%u is_shutdown=%c move_count=%hu", [
            moves.finalized ? 1 : 0, this.configCrc, this.fw.isShutdown ? 1 : 0, moves.size,
          ]);
        },
      },
      {
        format: "finalize_config crc=%u",
        run: ([crc]) => {
          this.fw.moves.finalize(moveCount);
          this.configCrc = u32(crc);
        },
      },
      { format: "get_clock", flags: HF_IN_SHUTDOWN, run: () => this.fw.sendf("clock clock=%u", [this.fw.now32]) },
      {
        format: "get_uptime",
        flags: HF_IN_SHUTDOWN,
        run: () => this.fw.sendf("uptime high=%u clock=%u", [Math.floor(this.fw.now64 / TWO32), this.fw.now32]),
      },
      { format: "emergency_stop", flags: HF_IN_SHUTDOWN, run: () => this.fw.shutdown("Command request") },
      { format: "clear_shutdown", flags: HF_IN_SHUTDOWN, run: () => this.fw.clearShutdown() },
      { format: "debug_nop", flags: HF_IN_SHUTDOWN, run: () => {} },
      { format: "debug_ping data=%*s", flags: HF_IN_SHUTDOWN, run: ([data]) => this.fw.sendf("pong data=%*s", [data!]) },
    ];
  }

  /** Accounts one pass of the main loop that kept the MCU busy for `ticks` (firmware stats_update). */
  noteBusy(ticks: number): void {
    const diff = Math.min(0xffffffff, Math.max(0, Math.round(ticks)));
    const s = this.stats;
    s.count = (s.count + 1) >>> 0;
    s.sum = (s.sum + diff) >>> 0;
    let next: number;
    if (diff <= 0xffff) next = s.sumsq + Math.ceil((diff * diff) / STATS_SUMSQ_BASE);
    else if (diff <= 0xfffff) next = s.sumsq + Math.ceil(diff / STATS_SUMSQ_BASE) * diff;
    else next = 0xffffffff;
    s.sumsq = Math.min(next, 0xffffffff);
  }

  /** Sends the statistics once 5 s have passed since the last report (checked by the periodic timer). */
  reportStats(): void {
    const cur = this.fw.now32;
    if (((cur - this.stats.sendTime) >>> 0) < this.fw.timerFromUs(5000000)) return;
    const s = this.stats;
    this.fw.sendf("stats count=%u sum=%u sumsq=%u", [s.count, s.sum, s.sumsq]);
    this.stats = { count: 0, sum: 0, sumsq: 0, sendTime: cur };
  }
}
