// Code that waits only in live mode: a step sequence written as a generator
// whose `yield`s hand back the results of calls that may return a Promise
// (toolhead moves, dwells, homing moves). While nothing returns a Promise (batch
// output: no waiting ever happens) the sequence runs synchronously to the end;
// the first Promise switches the rest of it to async.

export type MaybePromise<T> = T | Promise<T>;

export function runMaybeAsync<T>(gen: Generator<unknown, T, unknown>): MaybePromise<T> {
  let input: unknown;
  for (;;) {
    const r = gen.next(input);
    if (r.done) return r.value;
    if (r.value instanceof Promise) return finishAsync(gen, r.value);
    input = r.value;
  }
}

async function finishAsync<T>(gen: Generator<unknown, T, unknown>, first: Promise<unknown>): Promise<T> {
  let pending: unknown = first;
  for (;;) {
    let value: unknown;
    let failed = false;
    let error: unknown;
    try {
      value = await pending;
    } catch (e) {
      failed = true;
      error = e;
    }
    // A failed wait is thrown into the sequence where it yielded
    const r = failed ? gen.throw(error) : gen.next(value);
    if (r.done) return r.value;
    pending = r.value;
  }
}

/** Call `next` with the value of `r` (at once when `r` is not a Promise). */
export function then<R, T>(r: MaybePromise<R>, next: (value: R) => MaybePromise<T>): MaybePromise<T> {
  return r instanceof Promise ? r.then(next) : next(r);
}

/** Let `r` finish on its own where the caller cannot wait for it (a sync interface, an event
 * handler); a rejection goes to `onError` instead of becoming an unhandled rejection. */
export function detach(r: MaybePromise<unknown>, onError: (e: unknown) => void): void {
  if (r instanceof Promise) r.catch(onError);
}
