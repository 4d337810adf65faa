// Moonraker's announcements component with no feeds: an appliance without internet access has
// nothing to announce, but the UIs list "announcements" and expect these calls answered.
import * as v from "valibot";
import { ApiError, endpoint, type ApiComponentFactory } from "../endpoint.ts";

export const announcementsComponent: ApiComponentFactory = () => ({
  name: "announcements",
  endpoints: [
    endpoint({
      path: "/server/announcements/list",
      verbs: ["GET"],
      params: v.looseObject({}),
      handler: () => ({ entries: [], feeds: [] }),
    }),
    endpoint({
      path: "/server/announcements/update",
      verbs: ["POST"],
      params: v.looseObject({}),
      handler: () => ({ entries: [], modified: false }),
    }),
    endpoint({
      path: "/server/announcements/dismiss",
      verbs: ["POST"],
      params: v.looseObject({ entry_id: v.string() }),
      handler: ({ params }) => {
        throw new ApiError(`No announcement with entry_id ${params.entry_id}`, 404);
      },
    }),
    endpoint({
      path: "/server/announcements/feeds",
      verbs: ["GET"],
      params: v.looseObject({}),
      handler: () => ({ feeds: [] }),
    }),
  ],
});
