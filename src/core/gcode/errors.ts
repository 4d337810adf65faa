// A G-code command failed in a way the user should see ("!! message"); Klipper's CommandError.
export class GCodeError extends Error {
  override name = "GCodeError";
}
