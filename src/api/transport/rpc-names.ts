// Moonraker's HTTP path ↔ JSON-RPC method mapping: "/server/info" GET ↔ "server.info"; a path served
// with several verbs puts the verb in front of its last segment ("server.database.get_item").
import type { EndpointDecl, HttpVerb } from "../endpoint.ts";

/** The JSON-RPC method name of each verb of a declaration. */
export function rpcNamesOf(decl: EndpointDecl): Map<HttpVerb, string> {
  const segments = decl.path.replace(/^\/+|\/+$/g, "").split("/");
  const names = new Map<HttpVerb, string>();
  for (const verb of decl.verbs) {
    const override = decl.rpcNames?.[verb];
    if (override) {
      names.set(verb, override);
      continue;
    }
    const parts = [...segments];
    if (decl.verbs.length > 1) parts[parts.length - 1] = `${verb.toLowerCase()}_${parts[parts.length - 1]}`;
    names.set(verb, parts.join("."));
  }
  return names;
}
