import { describe, expect, test } from "bun:test";
import { BLOCK_PAYLOAD_MAX, CommandQueue, CommandScheduler, type QueuedCommand } from "../../src/mcu/command-queue.ts";

function cmd(tag: number, len: number, reqClock: number, minClock = 0): QueuedCommand {
  const data = new Uint8Array(len).fill(tag);
  return { data, minClock, reqClock };
}

describe("CommandScheduler", () => {
  test("blocks take the ready command with the lowest reqClock, keeping each queue in FIFO order", () => {
    const s = new CommandScheduler();
    const a = new CommandQueue();
    const b = new CommandQueue();
    s.push(a, cmd(1, 4, 300));
    s.push(a, cmd(2, 4, 100)); // behind a lower-priority head: must stay behind it
    s.push(b, cmd(3, 4, 200));
    s.release(0);
    const order = s.takeBlock().map((c) => c.data[0]);
    expect(order).toEqual([3, 1, 2]);
    expect(s.readyBytes).toBe(0);
  });

  test("a block never exceeds the payload limit and nothing is lost across blocks", () => {
    const s = new CommandScheduler();
    const q = new CommandQueue();
    for (let i = 0; i < 40; i++) s.push(q, cmd(i, 7, i));
    s.release(0);
    const seen: number[] = [];
    for (let block = s.takeBlock(); block.length; block = s.takeBlock()) {
      expect(block.reduce((n, c) => n + c.data.length, 0)).toBeLessThanOrEqual(BLOCK_PAYLOAD_MAX);
      seen.push(...block.map((c) => c.data[0]!));
    }
    expect(seen).toEqual([...Array(40).keys()]);
  });

  test("commands wait in upcoming until the MCU clock reaches their minClock", () => {
    const s = new CommandScheduler();
    const q = new CommandQueue();
    s.push(q, cmd(1, 3, 5000, 1000));
    s.push(q, cmd(2, 3, 6000, 0)); // FIFO: held behind the stalled head
    expect(s.release(999)).toBe(1000);
    expect(s.readyBytes).toBe(0);
    expect(s.upcomingBytes).toBe(6);
    s.release(1000);
    expect(s.readyBytes).toBe(6);
    expect(s.upcomingBytes).toBe(0);
  });

  test("minClock is pulled up to keep it within 31-bit reach of reqClock", () => {
    const s = new CommandScheduler();
    const q = new CommandQueue();
    const c = cmd(1, 3, 4 * 2 ** 29, 0);
    s.push(q, c);
    expect(c.minClock).toBe(2 ** 29);
  });

  test("an oversized command is refused with a clear error", () => {
    const s = new CommandScheduler();
    expect(() => s.push(new CommandQueue(), cmd(1, BLOCK_PAYLOAD_MAX + 1, 0))).toThrow(/does not fit in one block/);
  });
});
