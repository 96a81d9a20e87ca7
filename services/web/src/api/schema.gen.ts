/**
 * Generated from docs/openapi.json by services/web/tools/api-types.mjs: do not edit.
 * `npm run openapi` regenerates it.
 */

export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: the process answers (no dependency is checked) */
        get: operations["Health_healthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: this instance can serve (started, not draining, NATS answers, etcd accepts its user) */
        get: operations["Health_readyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Prometheus metrics of this instance */
        get: operations["Metrics_scrape"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/register": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create an account (role user) */
        post: operations["Auth_register"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Log in: sets the HttpOnly session cookie */
        post: operations["Auth_login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Log out: ends the session everywhere */
        post: operations["Auth_logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The logged-in user */
        get: operations["Auth_me"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users/{username}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A user's account (admin) */
        get: operations["Users_profile"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users/{username}/purchases": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A user's purchases (admin), newest first */
        get: operations["Users_purchases"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users/{username}/favourites": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A user's favourite events (admin) */
        get: operations["Users_favourites"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/system/instances": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Live instances of every service (admin): host, pid, HTTP port, start time, version */
        get: operations["System_instances"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Upcoming events (soonest first), then past ones
         * @description Each item carries `availability` {fromPrice, remaining, total} (cents, counts over all its ticket types) when the catalog could read it; it is left out, not an error, when it could not. With etcd's quorum lost the answer comes from a surviving member and may be stale: `stale` says why, as does the X-Data-Stale header.
         */
        get: operations["Events_list"];
        put?: never;
        /** Create an event with its ticket types (admin) */
        post: operations["Events_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/search": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Search events by words (all must match; the last may be a prefix), type and location
         * @description Each item carries `availability` {fromPrice, remaining, total} (cents, counts over all its ticket types) when the catalog could read it; it is left out, not an error, when it could not. With etcd's quorum lost the answer comes from a surviving member and may be stale: `stale` says why, as does the X-Data-Stale header.
         */
        get: operations["Events_search"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/events/{eventId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One event with its ticket types, stock and favourite count
         * @description With etcd's quorum lost the answer comes from a surviving member and may be stale: `stale` says why, as does the X-Data-Stale header.
         */
        get: operations["Events_get"];
        put?: never;
        post?: never;
        /** Delete an event (admin): sales are kept, new purchases refused */
        delete: operations["Events_remove"];
        options?: never;
        head?: never;
        /** Edit an event (admin); send the version you read */
        patch: operations["Events_update"];
        trace?: never;
    };
    "/api/events/{eventId}/tickets/{type}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Change a ticket type's total or price (admin) */
        put: operations["Events_adjust"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/static": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The static lists: locations, event types, ticket types */
        get: operations["Events_staticLists"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/static/{list}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Add or remove values of a static list (admin); a value in use cannot be removed */
        patch: operations["Events_updateStatic"];
        trace?: never;
    };
    "/api/me/favourites": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My favourite events */
        get: operations["Events_favourites"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/me/favourites/{eventId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Favour an event (repeating it changes nothing) */
        put: operations["Events_favour"];
        post?: never;
        /** Stop favouring an event */
        delete: operations["Events_unfavour"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/orders": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Buy tickets of one event, of one or more types, all or nothing */
        post: operations["Orders_place"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/me/purchases": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My purchases, newest first */
        get: operations["Orders_purchases"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/me/subscriptions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My low-stock subscriptions */
        get: operations["Notifications_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/me/subscriptions/{eventId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Subscribe to an event, or change the limit; a limit already reached alerts at once (state "fired") */
        put: operations["Notifications_put"];
        post?: never;
        /** Unsubscribe (alerts already received stay) */
        delete: operations["Notifications_remove"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/me/alerts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My alerts, newest first, with the unread count */
        get: operations["Notifications_alerts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/me/alerts/{alertId}/read": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Mark an alert read */
        post: operations["Notifications_read"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/events/{eventId}/live": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Live stock of an event (SSE): a snapshot, then each change of a ticket type's remaining count
         * @description `event: snapshot` (id = store revision) with `{eventId, tickets:[{type,total,remaining,price}], revision}`, then `event: stock` (id = revision) with `{eventId, ticketType, total, remaining, revision}` for each later change. Every connection starts with a fresh snapshot, so a reconnection (Last-Event-ID is ignored) misses nothing. `retry: 2000`; a `: keep-alive` comment every SSE_HEARTBEAT_MS.
         */
        get: operations["Live_eventLive"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/me/live": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * My low-stock alerts as they fire (SSE); a reconnection with Last-Event-ID replays the ones missed
         * @description `event: alert` (id = alertId) with `{alertId, eventId, remaining, limit, at}`. With Last-Event-ID, the stored alerts newer than it are sent first, oldest first (at most 200), each once. If that id is not found among them, or the notifier cannot be asked, `event: gap` with `{lastEventId, reason, message}` says alerts may have been missed: re-read GET /api/me/alerts. `retry: 2000`; a `: keep-alive` comment every SSE_HEARTBEAT_MS.
         */
        get: operations["Live_meLive"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Sales figures (admin): revenue in cents, orders and tickets sold by type, of one event or in total */
        get: operations["Admin_stats"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/stats/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every event's sales figures (admin), by event id: revenue in cents, orders, tickets by type; events without a sale are left out */
        get: operations["Admin_statsByEvent"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/events/{eventId}/sales": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An event's sales (admin), newest first */
        get: operations["Admin_sales"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/cluster": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Cluster status (admin): etcd members with raft term and index, db size and health, the leader, alarms, live service instances */
        get: operations["Admin_cluster"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/keys/history": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A key's past values (admin), newest first, each with its revision
         * @description Walks back through etcd revisions: the key at a revision, then at its mod revision - 1, until before its creation or a compacted revision. The walk runs in the service that owns the key (its role writes the prefix), asked over NATS: 503 naming it when no instance answers. user: and session: keys are refused with 403: they hold password hashes and session tokens.
         */
        get: operations["Admin_keyHistory"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/services": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Services (admin): live instances, desired count, and whether an autoscaler owns the count
         * @description Instances come from svc: keys; desired/running from the scaler (SCALER: kubernetes, local or none). A scaler that does not answer leaves desired null and says why in `scalerError`.
         */
        get: operations["Scaling_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/services/{service}/scale": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Scale a service (admin): set its desired instances (1 to 20)
         * @description Answers once the scaler accepted the count; instances then start or drain (watch GET /api/admin/services). An HPA-managed service (SCALER_AUTOSCALED) is refused with 409: its autoscaler owns the count.
         */
        put: operations["Scaling_scale"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Error: {
            error: {
                status: number;
                /** @enum {string} */
                code: "BAD_REQUEST" | "UNAUTHENTICATED" | "FORBIDDEN" | "NOT_FOUND" | "CONFLICT" | "SOLD_OUT" | "PAYLOAD_TOO_LARGE" | "RATE_LIMITED" | "UNAVAILABLE" | "TIMEOUT" | "INTERNAL";
                message: string;
                requestId?: string;
                fields?: {
                    path: string;
                    message: string;
                }[];
                dependency?: string;
                details?: {
                    [key: string]: unknown;
                };
            };
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    Health_healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Alive. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        status: "ok";
                        service: string;
                        instance: string;
                        version: string;
                    };
                };
            };
        };
    };
    Health_readyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        status: "ok" | "error";
                        /** @description Only when not ready: `not ready: <reasons>`. */
                        message?: string;
                        service: string;
                        instance: string;
                        /** @enum {string} */
                        process: "starting" | "started" | "draining";
                        nats: {
                            /** @enum {string} */
                            status: "up" | "unavailable";
                            /** @description Why it is unavailable. */
                            message?: string;
                            /** @description etcd: the linearizable read took this long. */
                            latencyMs?: number;
                            /** @description etcd: the store's revision at that read. */
                            revision?: number;
                            /** @description NATS: the round trip took this long. */
                            rttMs?: number;
                        };
                        /** @description Informational: an etcd outage does not make the instance unready, a refused etcd user does. */
                        etcd: {
                            /** @enum {string} */
                            status: "up" | "unavailable";
                            /** @description Why it is unavailable. */
                            message?: string;
                            /** @description etcd: the linearizable read took this long. */
                            latencyMs?: number;
                            /** @description etcd: the store's revision at that read. */
                            revision?: number;
                            /** @description NATS: the round trip took this long. */
                            rttMs?: number;
                            /** @description etcd refused this instance's user: unlike an outage, this makes it unready. */
                            authFailed?: boolean;
                            /** @description This instance's quorum verdict and the last sweep of the members behind it. */
                            quorum?: {
                                /** @description Why the quorum is known lost (writes refused at once); absent when it is not. */
                                lost?: string;
                                /** @description Since when (epoch ms) it is known lost. */
                                lostSince?: number;
                                /** @description The last sweep: members that answered with a leader, without one, refused, or stayed silent. */
                                members?: {
                                    leader: number;
                                    noLeader: number;
                                    refused: number;
                                    silent: number;
                                    ageMs: number;
                                };
                                /** @description Times this instance declared the quorum lost since it started. */
                                declared: number;
                            };
                        };
                    };
                };
            };
            /** @description Not ready; `message` says why. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        status: "ok" | "error";
                        /** @description Only when not ready: `not ready: <reasons>`. */
                        message?: string;
                        service: string;
                        instance: string;
                        /** @enum {string} */
                        process: "starting" | "started" | "draining";
                        nats: {
                            /** @enum {string} */
                            status: "up" | "unavailable";
                            /** @description Why it is unavailable. */
                            message?: string;
                            /** @description etcd: the linearizable read took this long. */
                            latencyMs?: number;
                            /** @description etcd: the store's revision at that read. */
                            revision?: number;
                            /** @description NATS: the round trip took this long. */
                            rttMs?: number;
                        };
                        /** @description Informational: an etcd outage does not make the instance unready, a refused etcd user does. */
                        etcd: {
                            /** @enum {string} */
                            status: "up" | "unavailable";
                            /** @description Why it is unavailable. */
                            message?: string;
                            /** @description etcd: the linearizable read took this long. */
                            latencyMs?: number;
                            /** @description etcd: the store's revision at that read. */
                            revision?: number;
                            /** @description NATS: the round trip took this long. */
                            rttMs?: number;
                            /** @description etcd refused this instance's user: unlike an outage, this makes it unready. */
                            authFailed?: boolean;
                            /** @description This instance's quorum verdict and the last sweep of the members behind it. */
                            quorum?: {
                                /** @description Why the quorum is known lost (writes refused at once); absent when it is not. */
                                lost?: string;
                                /** @description Since when (epoch ms) it is known lost. */
                                lostSince?: number;
                                /** @description The last sweep: members that answered with a leader, without one, refused, or stayed silent. */
                                members?: {
                                    leader: number;
                                    noLeader: number;
                                    refused: number;
                                    silent: number;
                                    ageMs: number;
                                };
                                /** @description Times this instance declared the quorum lost since it started. */
                                declared: number;
                            };
                        };
                    };
                };
            };
        };
    };
    Metrics_scrape: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The Prometheus text exposition format. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
        };
    };
    Auth_register: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    username: string;
                    password: string;
                    /** @default  */
                    name?: string;
                    /** @default  */
                    email?: string | "";
                };
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        username: string;
                        name: string;
                        email: string;
                        /** @enum {string} */
                        role: "user" | "admin";
                        createdAt: string;
                    };
                };
            };
            /** @description A field is missing or malformed; `fields` says which. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The username is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 409,
                     *         "code": "CONFLICT",
                     *         "message": "the event changed since you read it (version 3, now 4)",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Too many requests: wait the Retry-After seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 429,
                     *         "code": "RATE_LIMITED",
                     *         "message": "too many orders from this user: retry after 2 s",
                     *         "details": {
                     *           "retryAfterSeconds": 2
                     *         },
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Auth_login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    username: string;
                    password: string;
                };
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        user: {
                            username: string;
                            name: string;
                            email: string;
                            /** @enum {string} */
                            role: "user" | "admin";
                            createdAt: string;
                        };
                        expiresAt: string;
                    };
                };
            };
            /** @description Username or password missing. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Wrong username or password (the same answer for both). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Too many requests: wait the Retry-After seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 429,
                     *         "code": "RATE_LIMITED",
                     *         "message": "too many orders from this user: retry after 2 s",
                     *         "details": {
                     *           "retryAfterSeconds": 2
                     *         },
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Auth_logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Logged out */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Auth_me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        username: string;
                        name: string;
                        email: string;
                        /** @enum {string} */
                        role: "user" | "admin";
                        createdAt: string;
                    };
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Users_profile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                username: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        username: string;
                        name: string;
                        email: string;
                        /** @enum {string} */
                        role: "user" | "admin";
                        createdAt: string;
                    };
                };
            };
            /** @description A parameter is malformed; `fields` says which. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Logged in, but not an admin. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 403,
                     *         "code": "FORBIDDEN",
                     *         "message": "this needs the admin role",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No user with this name. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 404,
                     *         "code": "NOT_FOUND",
                     *         "message": "event 01J9Z3Q5M4W8K2X7T6R1N0B9C8 not found",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Users_purchases: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                username: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            orderId: string;
                            eventId: string;
                            lines: {
                                type: string;
                                quantity: number;
                                unitPrice: number;
                            }[];
                            total: number;
                            /** Format: date-time */
                            at: string;
                        }[];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description A parameter is malformed; `fields` says which. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Logged in, but not an admin. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 403,
                     *         "code": "FORBIDDEN",
                     *         "message": "this needs the admin role",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Users_favourites: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                username: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            name: string;
                            description: string;
                            location: string;
                            type: string;
                            /** Format: date-time */
                            date: string;
                            maxPerOrder: number;
                            eventId: string;
                            version: number;
                        }[];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description A parameter is malformed; `fields` says which. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Logged in, but not an admin. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 403,
                     *         "code": "FORBIDDEN",
                     *         "message": "this needs the admin role",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    System_instances: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        services: {
                            service: string;
                            /** @description Empty: no instance is running. */
                            instances: {
                                service: string;
                                instanceId: string;
                                host?: string;
                                pid?: number;
                                httpPort?: number;
                                startedAt?: string;
                                version?: string;
                            }[];
                        }[];
                    };
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Logged in, but not an admin. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 403,
                     *         "code": "FORBIDDEN",
                     *         "message": "this needs the admin role",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description etcd did not answer in time (`dependency: "etcd"`). */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Events_list: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                type?: string;
                location?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            name: string;
                            description: string;
                            location: string;
                            type: string;
                            /** Format: date-time */
                            date: string;
                            maxPerOrder: number;
                            eventId: string;
                            version: number;
                            availability?: {
                                fromPrice: number | null;
                                remaining: number;
                                total: number;
                            };
                        }[];
                        nextCursor: string | null;
                        stale?: string;
                    };
                };
            };
            /** @description A parameter or field is malformed; `fields` says which. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Events_create: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name: string;
                    description: string;
                    location: string;
                    type: string;
                    /** Format: date-time */
                    date: string;
                    maxPerOrder: number;
                    ticketTypes: {
                        type: string;
                        total: number;
                        price: number;
                    }[];
                };
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        name: string;
                        description: string;
                        location: string;
                        type: string;
                        /** Format: date-time */
                        date: string;
                        maxPerOrder: number;
                        eventId: string;
                        version: number;
                    };
                };
            };
            /** @description A parameter or field is malformed; `fields` says which. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Logged in, but not an admin. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 403,
                     *         "code": "FORBIDDEN",
                     *         "message": "this needs the admin role",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Events_search: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                type?: string;
                location?: string;
                /** @description Words to find; the last may be a prefix ("con" finds Concert). */
                q?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            name: string;
                            description: string;
                            location: string;
                            type: string;
                            /** Format: date-time */
                            date: string;
                            maxPerOrder: number;
                            eventId: string;
                            version: number;
                            availability?: {
                                fromPrice: number | null;
                                remaining: number;
                                total: number;
                            };
                        }[];
                        nextCursor: string | null;
                        stale?: string;
                    };
                };
            };
            /** @description A parameter or field is malformed; `fields` says which. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Events_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                eventId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        name: string;
                        description: string;
                        location: string;
                        type: string;
                        /** Format: date-time */
                        date: string;
                        maxPerOrder: number;
                        eventId: string;
                        version: number;
                        tickets: {
                            type: string;
                            total: number;
                            remaining: number;
                            price: number;
                        }[];
                        favourites: number;
                        stale?: string;
                    };
                };
            };
            /** @description A parameter or field is malformed; `fields` says which. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No event with this id. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 404,
                     *         "code": "NOT_FOUND",
                     *         "message": "event 01J9Z3Q5M4W8K2X7T6R1N0B9C8 not found",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Events_remove: {
        parameters: {
            query?: {
                expectedVersion?: number;
            };
            header?: never;
            path: {
                eventId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A parameter or field is malformed; `fields` says which. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Logged in, but not an admin. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 403,
                     *         "code": "FORBIDDEN",
                     *         "message": "this needs the admin role",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No event with this id. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 404,
                     *         "code": "NOT_FOUND",
                     *         "message": "event 01J9Z3Q5M4W8K2X7T6R1N0B9C8 not found",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The event changed since the version given. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 409,
                     *         "code": "CONFLICT",
                     *         "message": "the event changed since you read it (version 3, now 4)",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Events_update: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                eventId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name?: string;
                    description?: string;
                    location?: string;
                    type?: string;
                    /** Format: date-time */
                    date?: string;
                    maxPerOrder?: number;
                    /** @description The version you read: a stale one gets 409. */
                    expectedVersion: number;
                };
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        name: string;
                        description: string;
                        location: string;
                        type: string;
                        /** Format: date-time */
                        date: string;
                        maxPerOrder: number;
                        eventId: string;
                        version: number;
                    };
                };
            };
            /** @description A parameter or field is malformed; `fields` says which. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Logged in, but not an admin. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 403,
                     *         "code": "FORBIDDEN",
                     *         "message": "this needs the admin role",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No event with this id. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 404,
                     *         "code": "NOT_FOUND",
                     *         "message": "event 01J9Z3Q5M4W8K2X7T6R1N0B9C8 not found",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The event changed since you read it, or was deleted. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 409,
                     *         "code": "CONFLICT",
                     *         "message": "the event changed since you read it (version 3, now 4)",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Events_adjust: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                eventId: string;
                type: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    total?: number;
                    price?: number;
                };
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        type: string;
                        total: number;
                        remaining: number;
                        price: number;
                        revision: number;
                    };
                };
            };
            /** @description A parameter or field is malformed; `fields` says which. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Logged in, but not an admin. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 403,
                     *         "code": "FORBIDDEN",
                     *         "message": "this needs the admin role",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such event or ticket type. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 404,
                     *         "code": "NOT_FOUND",
                     *         "message": "event 01J9Z3Q5M4W8K2X7T6R1N0B9C8 not found",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The new total is below what is already sold. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 409,
                     *         "code": "CONFLICT",
                     *         "message": "the event changed since you read it (version 3, now 4)",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Events_staticLists: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        locations: string[];
                        eventTypes: string[];
                        ticketTypes: string[];
                    };
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Events_updateStatic: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                list: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @default [] */
                    add?: string[];
                    /** @default [] */
                    remove?: string[];
                };
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        values: string[];
                    };
                };
            };
            /** @description A parameter or field is malformed; `fields` says which. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Logged in, but not an admin. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 403,
                     *         "code": "FORBIDDEN",
                     *         "message": "this needs the admin role",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such list (locations, event-types, ticket-types). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 404,
                     *         "code": "NOT_FOUND",
                     *         "message": "event 01J9Z3Q5M4W8K2X7T6R1N0B9C8 not found",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A value to remove is in use. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 409,
                     *         "code": "CONFLICT",
                     *         "message": "the event changed since you read it (version 3, now 4)",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Events_favourites: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            name: string;
                            description: string;
                            location: string;
                            type: string;
                            /** Format: date-time */
                            date: string;
                            maxPerOrder: number;
                            eventId: string;
                            version: number;
                        }[];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description A parameter or field is malformed; `fields` says which. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Events_favour: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                eventId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        favourite: boolean;
                    };
                };
            };
            /** @description A parameter or field is malformed; `fields` says which. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No event with this id. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 404,
                     *         "code": "NOT_FOUND",
                     *         "message": "event 01J9Z3Q5M4W8K2X7T6R1N0B9C8 not found",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Events_unfavour: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                eventId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        favourite: boolean;
                    };
                };
            };
            /** @description A parameter or field is malformed; `fields` says which. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Orders_place: {
        parameters: {
            query?: never;
            header: {
                /** @description Your id for this order (e.g. a UUID); it binds to the order it buys (event and lines). Repeating that order returns the first reply and never buys twice; after the sale, the key with another event or other lines is 409 CONFLICT and buys nothing. A refused order (sold out, bad input) binds nothing: the key may be used again. */
                "Idempotency-Key": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    eventId: string;
                    lines: {
                        type: string;
                        quantity: number;
                    }[];
                };
            };
        };
        responses: {
            /** @description Bought. The same reply for every repeat of the Idempotency-Key. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        status: "accepted";
                        orderId: string;
                        eventId: string;
                        lines: {
                            type: string;
                            quantity: number;
                            unitPrice: number;
                        }[];
                        total: number;
                        remaining: {
                            [key: string]: number;
                        };
                        revision: number;
                    };
                };
            };
            /** @description Malformed body or Idempotency-Key, unknown ticket type, or more than the event allows per order. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such event. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 404,
                     *         "code": "NOT_FOUND",
                     *         "message": "event 01J9Z3Q5M4W8K2X7T6R1N0B9C8 not found",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description SOLD_OUT: not enough tickets (details.remaining has the counts); CONFLICT: event deleted, or the Idempotency-Key already bought another order (details: its orderId, eventId and lines). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 409,
                     *         "code": "CONFLICT",
                     *         "message": "the event changed since you read it (version 3, now 4)",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Body over the size limit. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 413,
                     *         "code": "PAYLOAD_TOO_LARGE",
                     *         "message": "request body too large: 65536 bytes at most",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Too many requests: wait the Retry-After seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 429,
                     *         "code": "RATE_LIMITED",
                     *         "message": "too many orders from this user: retry after 2 s",
                     *         "details": {
                     *           "retryAfterSeconds": 2
                     *         },
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Orders_purchases: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            orderId: string;
                            eventId: string;
                            lines: {
                                type: string;
                                quantity: number;
                                unitPrice: number;
                            }[];
                            total: number;
                            /** Format: date-time */
                            at: string;
                        }[];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Malformed paging parameters. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Notifications_list: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            eventId: string;
                            limit: number;
                            active: boolean;
                            /** @enum {string} */
                            state: "armed" | "fired";
                            firedAt: string | null;
                        }[];
                    };
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Notifications_put: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                eventId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description Alert me when this many tickets or fewer remain. */
                    limit: number;
                    /**
                     * @description false pauses the subscription.
                     * @default true
                     */
                    active?: boolean;
                };
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        eventId: string;
                        limit: number;
                        active: boolean;
                        /** @enum {string} */
                        state: "armed" | "fired";
                        firedAt: string | null;
                        remaining: number;
                    };
                };
            };
            /** @description A parameter or field is malformed; `fields` says which. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such event. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 404,
                     *         "code": "NOT_FOUND",
                     *         "message": "event 01J9Z3Q5M4W8K2X7T6R1N0B9C8 not found",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The event was deleted. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 409,
                     *         "code": "CONFLICT",
                     *         "message": "the event changed since you read it (version 3, now 4)",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Notifications_remove: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                eventId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A parameter or field is malformed; `fields` says which. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No subscription to this event. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 404,
                     *         "code": "NOT_FOUND",
                     *         "message": "event 01J9Z3Q5M4W8K2X7T6R1N0B9C8 not found",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Notifications_alerts: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            alertId: string;
                            eventId: string;
                            remaining: number;
                            limit: number;
                            at: string;
                            read: boolean;
                        }[];
                        nextCursor: string | null;
                        unread: number;
                    };
                };
            };
            /** @description A parameter or field is malformed; `fields` says which. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Notifications_read: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                alertId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        read: boolean;
                    };
                };
            };
            /** @description A parameter or field is malformed; `fields` says which. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such alert. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 404,
                     *         "code": "NOT_FOUND",
                     *         "message": "event 01J9Z3Q5M4W8K2X7T6R1N0B9C8 not found",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Live_eventLive: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                eventId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A text/event-stream that stays open. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example retry: 2000
                     *
                     *     event: snapshot
                     *     id: 1041
                     *     data: {"eventId":"01J9Z3Q5M4W8K2X7T6R1N0B9C8","tickets":[{"type":"pink","total":500,"remaining":120,"price":4500}],"revision":1041}
                     *
                     *     event: stock
                     *     id: 1057
                     *     data: {"eventId":"01J9Z3Q5M4W8K2X7T6R1N0B9C8","ticketType":"pink","total":500,"remaining":118,"revision":1057}
                     */
                    "text/event-stream": string;
                };
            };
            /** @description The event id is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such event. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 404,
                     *         "code": "NOT_FOUND",
                     *         "message": "event 01J9Z3Q5M4W8K2X7T6R1N0B9C8 not found",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description This gateway instance serves as many live streams as it may (SSE_MAX_CLIENTS): retry after Retry-After seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 429,
                     *         "code": "RATE_LIMITED",
                     *         "message": "too many orders from this user: retry after 2 s",
                     *         "details": {
                     *           "retryAfterSeconds": 2
                     *         },
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Live_meLive: {
        parameters: {
            query?: never;
            header?: {
                /** @description The last alert id received: the alerts since are replayed first (an EventSource sends it when reconnecting). */
                "Last-Event-ID"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A text/event-stream that stays open. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example retry: 2000
                     *
                     *     event: alert
                     *     id: 01JA1B2C3D4E5F6G7H8J9K0M1N
                     *     data: {"alertId":"01JA1B2C3D4E5F6G7H8J9K0M1N","eventId":"01J9Z3Q5M4W8K2X7T6R1N0B9C8","remaining":48,"limit":50,"at":"2025-06-01T18:03:12.000Z"}
                     */
                    "text/event-stream": string;
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description This gateway instance serves as many live streams as it may (SSE_MAX_CLIENTS): retry after Retry-After seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 429,
                     *         "code": "RATE_LIMITED",
                     *         "message": "too many orders from this user: retry after 2 s",
                     *         "details": {
                     *           "retryAfterSeconds": 2
                     *         },
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Admin_stats: {
        parameters: {
            query?: {
                /** @description One event; without it, the totals over all events. */
                eventId?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        revenue: number;
                        orders: number;
                        soldByType: {
                            [key: string]: number;
                        };
                    };
                };
            };
            /** @description A parameter is malformed; `fields` says which. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Logged in, but not an admin. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 403,
                     *         "code": "FORBIDDEN",
                     *         "message": "this needs the admin role",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No event with this id ever existed. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 404,
                     *         "code": "NOT_FOUND",
                     *         "message": "event 01J9Z3Q5M4W8K2X7T6R1N0B9C8 not found",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Admin_statsByEvent: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            [key: string]: {
                                revenue: number;
                                orders: number;
                                soldByType: {
                                    [key: string]: number;
                                };
                            };
                        };
                    };
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Logged in, but not an admin. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 403,
                     *         "code": "FORBIDDEN",
                     *         "message": "this needs the admin role",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Admin_sales: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                eventId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            orderId: string;
                            username: string;
                            lines: {
                                type: string;
                                quantity: number;
                                unitPrice: number;
                            }[];
                            total: number;
                            /** Format: date-time */
                            at: string;
                        }[];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description A parameter is malformed; `fields` says which. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Logged in, but not an admin. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 403,
                     *         "code": "FORBIDDEN",
                     *         "message": "this needs the admin role",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No event with this id ever existed. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 404,
                     *         "code": "NOT_FOUND",
                     *         "message": "event 01J9Z3Q5M4W8K2X7T6R1N0B9C8 not found",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Admin_cluster: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        members: {
                            /** @description Member id (decimal). */
                            id: string;
                            name: string;
                            clientUrls: string[];
                            reachable: boolean;
                            isLeader: boolean;
                            raftTerm?: number;
                            raftIndex?: number;
                            dbSizeBytes?: number;
                            version?: string;
                            /** @description Why the member did not answer. */
                            error?: string;
                        }[];
                        leaderId: string | null;
                        /** @description etcd's backend quota (ETCD_QUOTA_BYTES, as etcd is started with): a member's db size may grow to it, then NOSPACE. */
                        quotaBytes: number;
                        /** @description A leader and a majority of members reachable: the store can serve reads and writes. */
                        quorum: boolean;
                        alarms: {
                            memberId: string;
                            /** @description NOSPACE or CORRUPT. */
                            alarm: string;
                        }[];
                        /** @description Why alarms could not be read (they need a quorum). */
                        alarmsError?: string;
                        /** @description Live instances per service (from svc: keys); null when they could not be read. */
                        services: {
                            service: string;
                            instances: {
                                service: string;
                                instanceId: string;
                                host?: string;
                                pid?: number;
                                httpPort?: number;
                                startedAt?: string;
                                version?: string;
                            }[];
                        }[] | null;
                        servicesError?: string;
                    };
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Logged in, but not an admin. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 403,
                     *         "code": "FORBIDDEN",
                     *         "message": "this needs the admin role",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description etcd did not answer in time (`dependency: "etcd"`). Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Admin_keyHistory: {
        parameters: {
            query: {
                /** @description A key of the schema, e.g. event:01JD6Z8Q1V6N4X2K7T3R5M9B0C (no user: or session: keys). */
                key: string;
                /** @description At most this many past values. */
                limit?: number;
                /** @description Walk back from this store revision instead of the present (continue with `nextRevision`, or look past a deletion). */
                revision?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        key: string;
                        /** @description What the key holds (event, ticket, stats, ...). */
                        kind: string;
                        /** @description The store revision the walk started from. */
                        readAt: number;
                        /** @description Newest first. */
                        items: {
                            /** @description The store revision that wrote this value (the mod revision). */
                            revision: number;
                            /** @description The key's version: 1 when it was created. */
                            version: number;
                            createRevision: number;
                            /** @description etcd keeps no time: taken from the value (updatedAt, at, createdAt, startedAt) when it has one. */
                            modTime?: string;
                            /** @description The value, JSON-parsed when it is JSON, else the string. */
                            value: unknown;
                            /**
                             * @description The record is marked deleted (deletedAt) in this value.
                             * @enum {boolean}
                             */
                            deleted?: true;
                        }[];
                        /** @description The walk stopped at a compacted revision: older values are gone. */
                        compacted: boolean;
                        /** @description More values may be older: pass this as `revision` to continue. */
                        nextRevision: number | null;
                    };
                };
            };
            /** @description The key does not parse (message says why), or limit/revision is malformed or in the future. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not an admin, or a user: / session: key (never served). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 403,
                     *         "code": "FORBIDDEN",
                     *         "message": "this needs the admin role",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The key does not exist (never did, or deleted), or did not at the revision given. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 404,
                     *         "code": "NOT_FOUND",
                     *         "message": "event 01J9Z3Q5M4W8K2X7T6R1N0B9C8 not found",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service or the store is unavailable; `dependency` names it. Retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 504,
                     *         "code": "TIMEOUT",
                     *         "message": "orders did not answer orders.history within 3000 ms",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Scaling_list: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * @description The adapter in use (SCALER).
                         * @enum {string}
                         */
                        scaler: "kubernetes" | "local" | "none";
                        limits: {
                            /** @enum {number} */
                            min: 1;
                            /** @enum {number} */
                            max: 20;
                        };
                        services: {
                            service: string;
                            /** @description Live instances (svc: keys held by a lease). */
                            instances: {
                                service: string;
                                instanceId: string;
                                host?: string;
                                pid?: number;
                                httpPort?: number;
                                startedAt?: string;
                                version?: string;
                            }[];
                            /** @description Replicas asked for; null when the scaler does not know (SCALER=none, no Deployment). */
                            desired: number | null;
                            /** @description Instances the platform runs (running pods, or launcher processes); null when unknown. */
                            running: number | null;
                            /** @description A HorizontalPodAutoscaler owns the count: scale requests are refused with 409. */
                            autoscaled: boolean;
                            /** @description The autoscaler's range, when configured. */
                            hpa?: {
                                min: number;
                                max: number;
                            };
                            /** @description A scale request can be made (a scaler is configured and the service is not autoscaled). */
                            scalable: boolean;
                        }[];
                        /** @description Why desired counts are missing: the scaler did not answer (instances are still listed). */
                        scalerError?: string;
                    };
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Logged in, but not an admin. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 403,
                     *         "code": "FORBIDDEN",
                     *         "message": "this needs the admin role",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description etcd did not answer in time (`dependency: "etcd"`). */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    Scaling_scale: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                service: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description Desired instances, 1 to 20. */
                    replicas: number;
                };
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        service: string;
                        /** @description The count asked for; instances start or drain in the background (watch GET /api/admin/services). */
                        desired: number;
                    };
                };
            };
            /** @description The body is not { "replicas": n } with n a whole number from 1 to 20. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 400,
                     *         "code": "BAD_REQUEST",
                     *         "message": "invalid request body",
                     *         "fields": [
                     *           {
                     *             "path": "lines.0.quantity",
                     *             "message": "Too small: expected number to be >=1"
                     *           }
                     *         ],
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No session, or it expired: log in. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 401,
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "log in first: this needs a session",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Logged in, but not an admin. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 403,
                     *         "code": "FORBIDDEN",
                     *         "message": "this needs the admin role",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such service (or, in Kubernetes, no Deployment for it). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 404,
                     *         "code": "NOT_FOUND",
                     *         "message": "event 01J9Z3Q5M4W8K2X7T6R1N0B9C8 not found",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The service is autoscaled (its HorizontalPodAutoscaler owns the count), or no scaler is configured (SCALER=none). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 409,
                     *         "code": "CONFLICT",
                     *         "message": "the event changed since you read it (version 3, now 4)",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The scaler did not answer in time, or refused (`dependency`: "Kubernetes API" or "local stack launcher"); or etcd is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "status": 503,
                     *         "code": "UNAVAILABLE",
                     *         "message": "orders is unavailable: no running instance answers orders.history",
                     *         "dependency": "orders",
                     *         "requestId": "01JA0000000000000000000000"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
}
