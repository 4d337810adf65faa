// A TCP port on 127.0.0.1 for a server a bench or test starts (never a default port a user's
// appliance may hold).

/** A port that was free a moment ago (the kernel picks it). */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}
