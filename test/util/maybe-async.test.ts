import { describe, expect, test } from "bun:test";
import { detach, runMaybeAsync } from "../../src/util/maybe-async.ts";

describe("runMaybeAsync", () => {
  test("runs synchronously while nothing returns a promise", () => {
    const log: string[] = [];
    const r = runMaybeAsync(
      (function* () {
        log.push("a");
        yield undefined;
        log.push("b");
        return 42;
      })(),
    );
    expect(r).toBe(42);
    expect(log).toEqual(["a", "b"]);
  });

  test("switches to async at the first promise and keeps the order", async () => {
    const log: string[] = [];
    const r = runMaybeAsync(
      (function* () {
        log.push("a");
        const v = yield Promise.resolve(5);
        log.push(`b${v}`);
        yield undefined;
        log.push("c");
        return "done";
      })(),
    );
    expect(r).toBeInstanceOf(Promise);
    log.push("caller");
    expect(await r).toBe("done");
    expect(log).toEqual(["a", "caller", "b5", "c"]);
  });

  test("a rejected wait is thrown into the sequence", async () => {
    const r = runMaybeAsync(
      (function* () {
        try {
          yield Promise.reject(new Error("endstop"));
        } catch (e) {
          return `caught ${(e as Error).message}`;
        }
        return "not reached";
      })(),
    );
    expect(await r).toBe("caught endstop");
  });

  test("an error thrown by the sequence itself propagates", () => {
    expect(() =>
      runMaybeAsync(
        (function* () {
          yield undefined;
          throw new Error("Move out of range");
        })(),
      ),
    ).toThrow("Move out of range");
  });
});

describe("detach", () => {
  test("hands a rejection to onError instead of leaving it unhandled", async () => {
    const errors: unknown[] = [];
    const failure = new Error("shutdown");
    const p = Promise.reject(failure);
    detach(p, (e) => errors.push(e));
    await p.catch(() => undefined);
    expect(errors).toEqual([failure]);
  });

  test("a plain value or a resolved promise reports nothing", async () => {
    const errors: unknown[] = [];
    detach(undefined, (e) => errors.push(e));
    const p = Promise.resolve(1);
    detach(p, (e) => errors.push(e));
    await p;
    expect(errors).toEqual([]);
  });
});
