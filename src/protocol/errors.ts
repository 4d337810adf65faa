// Every codec failure the caller can act on: bad names, values out of range, malformed dictionaries.
export class ProtocolError extends Error {
  override name = "ProtocolError";
}
