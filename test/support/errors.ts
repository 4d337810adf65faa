// The message of an error a test expects, after checking the error's class.
import { expect } from "bun:test";

type ErrorClass = abstract new (...args: never[]) => Error;

/** Message of the `type` error `fn` throws (fails the test if it throws nothing or something else). */
export function thrownMessage(type: ErrorClass, fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(type);
    return (e as Error).message;
  }
  throw new Error(`expected a ${type.name}`);
}

/** Message of the `type` error `run` rejects with. */
export async function rejectionMessage(type: ErrorClass, run: Promise<unknown>): Promise<string> {
  try {
    await run;
  } catch (e) {
    expect(e).toBeInstanceOf(type);
    return (e as Error).message;
  }
  throw new Error(`expected a ${type.name}`);
}
