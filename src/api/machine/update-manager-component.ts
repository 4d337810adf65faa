// Moonraker's update_manager status, answered honestly for a single binary that updates itself by
// being replaced: nothing is managed here, so nothing is ever out of date or refreshable.
import * as v from "valibot";
import { endpoint, type ApiComponentFactory } from "../endpoint.ts";

const status = () => ({ busy: false, github_rate_limit: null, github_requests_remaining: null, github_limit_reset_time: null, version_info: {} });

export const updateManagerComponent: ApiComponentFactory = () => ({
  name: "update_manager",
  endpoints: [
    endpoint({ path: "/machine/update/status", verbs: ["GET"], params: v.looseObject({ refresh: v.optional(v.unknown()) }), handler: status }),
    endpoint({ path: "/machine/update/refresh", verbs: ["POST"], params: v.looseObject({ name: v.optional(v.string()) }), handler: status }),
  ],
});
