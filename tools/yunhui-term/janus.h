/*
 * The Janus backend of yunhui-term (backend.h): one participant in a Janus
 * 1.x VideoRoom over Janus's HTTP REST API, for the side-by-side
 * benchmarks in bench/ (`yunhui-term --target janus --janus-url URL`).
 *
 * Mapping onto the backend contract:
 * - cfg->server is the Janus API root, "http://198.18.0.2:8088/janus";
 *   cfg->shared is unused (NULL).
 * - The meeting is a VideoRoom room: a decimal meeting id is the room
 *   number, anything else is hashed to one (FNV-1a, 52 bits). Every
 *   participant first asks to create the room (VP8 + Opus, 100 publishers,
 *   notify_joining false, not permanent); "already exists" is fine.
 * - One Janus session per participant with two plugin handles: a publisher
 *   handle that joins the room (also for participants that never publish:
 *   that is how a Janus client learns of publishers) and, once there is a
 *   feed to receive, one multistream subscriber handle for all feeds.
 * - self_id is the participant's Janus feed id; track ids are
 *   "<feed id>:<feed mid>" and participant ids feed ids.
 * - DTLS roles: the session always offers actpass and wants to be the DTLS
 *   client, but Janus answers an actpass offer with "active". The backend
 *   rewrites the publish offer to a=setup:active so Janus answers passive.
 * - Events come through a long poll (GET <root>/<session>?maxev=N) on a
 *   connection of its own; keepalives every 15 s keep the session (Janus
 *   times sessions out after session_timeout with no request).
 */
#ifndef YT_JANUS_H
#define YT_JANUS_H

#include "backend.h"

extern const yt_backend_ops_t yt_backend_janus;

#endif
