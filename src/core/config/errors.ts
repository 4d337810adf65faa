// Error raised for any problem with the printer configuration (parse, include, option value,
// unknown section/option). Messages follow Klipper's wording so users can search for them.
export class ConfigError extends Error {
  override name = "ConfigError";
}
