// Kinematics by [printer] kinematics name.
//   loadKinematics(name, env) -> Kinematics; throws for unknown/unsupported names.
import { ConfigError } from "../../core/config/errors.ts";
import { CartesianKinematics } from "./cartesian.ts";
import { CoreXYKinematics } from "./corexy.ts";
import { CoreXZKinematics } from "./corexz.ts";
import { HybridCoreKinematics } from "./hybrid-core.ts";
import { DeltaKinematics } from "./delta.ts";
import { NoneKinematics } from "./none.ts";
import { GenericCartesianKinematics } from "./generic-cartesian.ts";
import { PolarKinematics } from "./polar.ts";
import { DeltesianKinematics } from "./deltesian.ts";
import { RotaryDeltaKinematics } from "./rotary-delta.ts";
import { WinchKinematics } from "./winch.ts";
import type { Kinematics, KinematicsEnv } from "./types.ts";

export type { Kinematics, KinematicsEnv, KinematicsHost, KinMove, KinToolhead, KinHomingState } from "./types.ts";

const FACTORIES: Record<string, (env: KinematicsEnv) => Kinematics> = {
  cartesian: (env) => new CartesianKinematics(env),
  corexy: (env) => new CoreXYKinematics(env),
  corexz: (env) => new CoreXZKinematics(env),
  hybrid_corexy: (env) => new HybridCoreKinematics(env, "xy"),
  hybrid_corexz: (env) => new HybridCoreKinematics(env, "xz"),
  delta: (env) => new DeltaKinematics(env),
  generic_cartesian: (env) => new GenericCartesianKinematics(env),
  deltesian: (env) => new DeltesianKinematics(env),
  polar: (env) => new PolarKinematics(env),
  rotary_delta: (env) => new RotaryDeltaKinematics(env),
  winch: (env) => new WinchKinematics(env),
  none: () => new NoneKinematics(),
};

export const SUPPORTED_KINEMATICS = Object.keys(FACTORIES);

export function loadKinematics(name: string, env: KinematicsEnv): Kinematics {
  const f = FACTORIES[name];
  if (!f) throw new ConfigError(`Error loading kinematics '${name}' (supported: ${SUPPORTED_KINEMATICS.join(", ")})`);
  return f(env);
}
