// Moonraker's access.* endpoints (login users with JWT, API key, oneshot tokens, info) and the
// authenticator and CORS middleware the transport runs before every endpoint.
import * as v from "valibot";
import { ApiError, endpoint, type ApiComponent, type ApiContext, type Caller } from "../endpoint.ts";
import type { Database } from "../database/database.ts";
import { API_KEY_USER, Authorizer, type AuthOptions } from "./authorizer.ts";
import { corsMiddleware } from "./cors.ts";

const credential = v.pipe(v.string(), v.minLength(1));
const SOURCES = ["moonraker"] as const;

/** The logged-in user a request came from (not the trusted or API-key pseudo-users). */
function loggedIn(auth: Authorizer, user: Caller["user"]): string {
  if (!user || user.username === API_KEY_USER || !auth.user(user.username)) throw new ApiError("This request needs a logged-in user", 400);
  return user.username;
}

export function createAuthComponent(ctx: ApiContext, opts: { db: Database; auth?: AuthOptions }): ApiComponent & { authorizer: Authorizer } {
  const auth = new Authorizer(opts.db, opts.auth ?? {}, (m) => ctx.log.warn(m));
  ctx.app.use("*", corsMiddleware(auth.origins));
  ctx.log.info(`auth: trusted clients ${auth.networks.map((n) => n.text).join(", ") || "(none)"}${auth.forceLogins ? "; logins forced" : ""}`);
  return {
    name: "authorization",
    authorizer: auth,
    authenticate: (req) => auth.authenticate(req),
    endpoints: [
      endpoint({
        path: "/access/info",
        verbs: ["GET"],
        public: true,
        params: v.object({}),
        handler: ({ caller }) => ({
          default_source: "moonraker",
          available_sources: [...SOURCES],
          login_required: auth.loginRequired(),
          trusted: auth.isTrustedIp(caller.ip) && !auth.loginRequired(),
        }),
      }),
      endpoint({
        path: "/access/login",
        verbs: ["POST"],
        public: true,
        params: v.object({ username: credential, password: v.string(), source: v.optional(v.picklist(SOURCES)) }),
        handler: async ({ params, connection }) => {
          const tokens = await auth.login(params.username, params.password);
          connection?.authenticate({ username: params.username, source: "moonraker" });
          return { username: params.username, ...tokens, action: "user_logged_in", source: "moonraker" };
        },
      }),
      endpoint({
        path: "/access/logout",
        verbs: ["POST"],
        params: v.object({}),
        handler: async ({ caller, connection }) => {
          const username = loggedIn(auth, caller.user);
          await auth.logout(username);
          connection?.deauthenticate();
          ctx.notify("notify_user_logged_out", [{ username }]);
          return { username, action: "user_logged_out" };
        },
      }),
      endpoint({
        path: "/access/refresh_jwt",
        verbs: ["POST"],
        public: true,
        params: v.object({ refresh_token: credential }),
        handler: ({ params, connection }) => {
          const { user, token } = auth.refresh(params.refresh_token);
          connection?.authenticate(user);
          return { username: user.username, token, source: user.source, action: "user_jwt_refresh" };
        },
      }),
      endpoint({
        path: "/access/user",
        verbs: ["GET", "POST", "DELETE"],
        params: v.object({ username: v.optional(credential), password: v.optional(v.string()) }),
        handler: async ({ params, verb, caller }) => {
          if (verb === "GET") return auth.describe(caller.user);
          if (!params.username) throw new ApiError("username missing", 400);
          if (verb === "DELETE") {
            if (caller.user?.username === params.username) throw new ApiError("A user cannot delete itself", 400);
            await auth.deleteUser(params.username);
            ctx.notify("notify_user_deleted", [{ username: params.username }]);
            return { username: params.username, action: "user_deleted" };
          }
          if (!params.password) throw new ApiError("password missing", 400);
          const tokens = await auth.createUser(params.username, params.password);
          ctx.notify("notify_user_created", [{ username: params.username }]);
          return { username: params.username, ...tokens, source: "moonraker", action: "user_created" };
        },
      }),
      endpoint({
        path: "/access/users/list",
        verbs: ["GET"],
        params: v.object({}),
        handler: () => ({ users: auth.users().map((u) => ({ username: u.username, source: u.source, created_on: u.created_on })) }),
      }),
      endpoint({
        path: "/access/user/password",
        verbs: ["POST"],
        params: v.object({ password: v.string(), new_password: credential }),
        handler: async ({ params, caller }) => {
          const username = loggedIn(auth, caller.user);
          await auth.setPassword(username, params.password, params.new_password);
          return { username, action: "user_password_reset" };
        },
      }),
      endpoint({
        path: "/access/oneshot_token",
        verbs: ["GET"],
        params: v.object({}),
        handler: ({ caller }) => auth.oneshotToken(caller.ip, caller.user),
      }),
      endpoint({
        path: "/access/api_key",
        verbs: ["GET", "POST"],
        params: v.object({}),
        handler: ({ verb }) => (verb === "GET" ? auth.apiKey() : auth.rotateApiKey()),
      }),
    ],
  };
}
