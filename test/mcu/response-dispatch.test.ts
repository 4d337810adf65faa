import { describe, expect, test } from "bun:test";
import { ResponseDispatcher, type ResponseMessage } from "../../src/mcu/response-dispatch.ts";

const msg = (name: string, params: Record<string, number> = {}): ResponseMessage => ({ name, params, sentTime: 0, receiveTime: 0 });

describe("ResponseDispatcher", () => {
  test("routes by name and oid; the rest goes to the unhandled callback", () => {
    const unhandled: string[] = [];
    const d = new ResponseDispatcher((m) => unhandled.push(`${m.name}/${m.params.oid}`));
    const got: number[] = [];
    d.register("endstop_state", 3, (m) => got.push(m.params.oid as number));
    d.dispatch(msg("endstop_state", { oid: 3 }));
    d.dispatch(msg("endstop_state", { oid: 4 }));
    expect(got).toEqual([3]);
    expect(unhandled).toEqual(["endstop_state/4"]);
  });

  test("overlapping waiters for one response kind each get it and leave the handler in place", () => {
    const d = new ResponseDispatcher(() => {
      throw new Error("unexpected unhandled");
    });
    const handler: number[] = [];
    d.register("clock", null, (m) => handler.push(m.params.clock as number));
    const a: number[] = [];
    const b: number[] = [];
    const stopA = d.addWaiter("clock", null, (m) => a.push(m.params.clock as number));
    const stopB = d.addWaiter("clock", null, (m) => b.push(m.params.clock as number));
    d.dispatch(msg("clock", { clock: 1 }));
    stopA();
    d.dispatch(msg("clock", { clock: 2 }));
    stopB();
    d.dispatch(msg("clock", { clock: 3 }));
    expect(a).toEqual([1]);
    expect(b).toEqual([1, 2]);
    expect(handler).toEqual([1, 2, 3]);
  });
});
