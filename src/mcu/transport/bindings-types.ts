// @serialport/bindings-interface publishes its types outside its package "exports", so TypeScript's
// "bundler" resolution cannot see them; load them by path (type-only, erased from the build).
export type {
  BindingInterface, BindingPortInterface, OpenOptions, PortInfo, PortStatus, SetOptions, UpdateOptions,
} from "../../../node_modules/@serialport/bindings-interface/dist/index.d.ts";
