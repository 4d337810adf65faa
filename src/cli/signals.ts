// Waiting for the user to stop a long-running command (Ctrl-C, or a service manager's SIGTERM).
// A leaf module, like ./args.ts.

export type StopSignal = "SIGINT" | "SIGTERM";

/** Resolves with the first SIGINT or SIGTERM from now on; the handlers are removed then. */
export function untilSignal(): Promise<StopSignal> {
  return new Promise((resolve) => {
    const onInt = () => stop("SIGINT");
    const onTerm = () => stop("SIGTERM");
    const stop = (sig: StopSignal) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      resolve(sig);
    };
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
  });
}
