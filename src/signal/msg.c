/* Parsing and validation of client messages (see msg.h). */
#include "signal/msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "sfu/sfu.h"

typedef int (*parse_fn)(json_t *o, yh_sig_req_t *r, yh_sig_err_t *e);

static int fail(yh_sig_err_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(yh_sig_err_t *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    /* Messages may quote client input (a type name, the JSON parser's
     * "near '...'"): keep them printable ASCII so that the reply is always
     * valid JSON text, whatever bytes were quoted. */
    for (char *c = e->message; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            *c = '?';
    e->code = "bad-request";
    return YH_EPARSE;
}

/* Field readers: `required` 0 leaves *out untouched when the field is absent
 * (null counts as absent for optional fields). Lengths are in bytes. */
static int get_str(json_t *o, const char *key, int required, size_t min, size_t max,
                   const char **out, size_t *out_len, yh_sig_err_t *e)
{
    json_t *v = json_object_get(o, key);
    if (!v || (!required && json_is_null(v))) {
        if (required)
            return fail(e, "field '%s' is required", key);
        return 0;
    }
    if (!json_is_string(v))
        return fail(e, "field '%s' must be a string", key);
    size_t len = json_string_length(v);
    if (len < min || len > max)
        return fail(e, "field '%s' must be %zu..%zu bytes long", key, min, max);
    *out = json_string_value(v);
    if (out_len)
        *out_len = len;
    return 0;
}

static int get_bool(json_t *o, const char *key, int *out, yh_sig_err_t *e)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return fail(e, "field '%s' is required", key);
    if (!json_is_boolean(v))
        return fail(e, "field '%s' must be true or false", key);
    *out = json_is_true(v);
    return 0;
}

static int get_source(json_t *o, const char *key, yh_source_t *out, int *present, yh_sig_err_t *e)
{
    const char *s = NULL;
    int rc = get_str(o, key, present == NULL, 1, 32, &s, NULL, e);
    if (rc < 0 || !s)
        return rc;
    if (yh_source_parse(s, out) < 0)
        return fail(e, "field '%s' must be \"microphone\", \"camera\" or \"screen\"", key);
    if (present)
        *present = 1;
    return 0;
}

int yh_sig_name_normalize(const char *in, size_t len, char *out, size_t cap, const char **why)
{
    while (len > 0 && (in[0] == ' ' || in[0] == '\t' || in[0] == '\r' || in[0] == '\n')) {
        in++;
        len--;
    }
    while (len > 0 && (in[len - 1] == ' ' || in[len - 1] == '\t' || in[len - 1] == '\r' ||
                       in[len - 1] == '\n'))
        len--;
    if (len == 0) {
        snprintf(out, cap, "Guest");
        return 0;
    }
    size_t chars = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c < 0x20 || c == 0x7f) {
            *why = "field 'name' must not contain control characters";
            return YH_EINVAL;
        }
        /* Count code points: every byte that is not a UTF-8 continuation
         * byte starts one (the JSON parser has checked the encoding). */
        if ((c & 0xc0) != 0x80)
            chars++;
    }
    if (chars > YH_SIG_NAME_CHARS || len >= cap) {
        *why = "field 'name' must be at most 64 characters";
        return YH_EINVAL;
    }
    memcpy(out, in, len);
    out[len] = '\0';
    return 0;
}

static int parse_join(json_t *o, yh_sig_req_t *r, yh_sig_err_t *e)
{
    size_t len = 0;
    int rc = get_str(o, "meeting", 1, 1, YH_MEETING_NUMBER_MAX, &r->u.join.meeting, &len, e);
    if (rc < 0)
        return rc;
    if (!yh_meeting_number_valid(r->u.join.meeting, len))
        return fail(e, "field 'meeting' must be 1..20 characters of [0-9A-Za-z_-]");
    const char *name = "";
    size_t name_len = 0;
    /* The byte bound only stops absurd input early; the real limit is 64
     * characters, counted after trimming. */
    rc = get_str(o, "name", 0, 0, 1024, &name, &name_len, e);
    if (rc < 0)
        return rc;
    const char *why = NULL;
    if (yh_sig_name_normalize(name, name_len, r->u.join.name, sizeof r->u.join.name, &why) < 0)
        return fail(e, "%s", why);
    if ((rc = get_str(o, "passcode", 0, 0, 256, &r->u.join.passcode, NULL, e)) < 0)
        return rc;
    if ((rc = get_str(o, "token", 0, 0, 4096, &r->u.join.token, NULL, e)) < 0)
        return rc;
    json_t *client = json_object_get(o, "client");
    if (client && !json_is_object(client) && !json_is_null(client))
        return fail(e, "field 'client' must be an object");
    /* client.kind is kept for the participation log; an unexpected value
     * is logged as given (bounded), not refused. */
    if (json_is_object(client)) {
        rc = get_str(client, "kind", 0, 1, YH_SIG_CLIENT_KIND_MAX, &r->u.join.client_kind, NULL, e);
        if (rc < 0)
            return fail(e, "field 'client.kind' must be a string of 1..%d bytes",
                        YH_SIG_CLIENT_KIND_MAX);
    }
    return 0;
}

static int parse_resume(json_t *o, yh_sig_req_t *r, yh_sig_err_t *e)
{
    return get_str(o, "resumeToken", 1, 1, 256, &r->u.resume.token, NULL, e);
}

static int parse_pub_track(json_t *t, size_t i, yh_sig_pub_track_t *out, yh_sig_err_t *e)
{
    if (!json_is_object(t))
        return fail(e, "field 'tracks[%zu]' must be an object", i);
    json_t *mid = json_object_get(t, "mid");
    if (!json_is_string(mid) || json_string_length(mid) < 1 ||
        json_string_length(mid) > YH_MEETING_MID_MAX)
        return fail(e, "field 'tracks[%zu].mid' must be a string of 1..32 bytes", i);
    out->mid = json_string_value(mid);
    out->has_source = 0;
    if (get_source(t, "source", &out->source, &out->has_source, e) < 0)
        return fail(e,
                    "field 'tracks[%zu].source' must be \"microphone\", \"camera\" or "
                    "\"screen\"",
                    i);
    return 0;
}

static int parse_publish(json_t *o, yh_sig_req_t *r, yh_sig_err_t *e)
{
    int rc = get_str(o, "sdp", 1, 1, YH_SIG_SDP_MAX, &r->u.publish.sdp, &r->u.publish.sdp_len, e);
    if (rc < 0)
        return rc;
    json_t *tracks = json_object_get(o, "tracks");
    r->u.publish.n_tracks = 0;
    if (!tracks || json_is_null(tracks))
        return 0;
    if (!json_is_array(tracks))
        return fail(e, "field 'tracks' must be an array");
    size_t n = json_array_size(tracks);
    if (n > YH_SIG_MAX_PUB_TRACKS)
        return fail(e, "field 'tracks' must have at most %d entries", YH_SIG_MAX_PUB_TRACKS);
    for (size_t i = 0; i < n; i++) {
        rc = parse_pub_track(json_array_get(tracks, i), i, &r->u.publish.tracks[i], e);
        if (rc < 0)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(r->u.publish.tracks[j].mid, r->u.publish.tracks[i].mid) == 0)
                return fail(e, "field 'tracks' names mid '%s' twice", r->u.publish.tracks[i].mid);
    }
    r->u.publish.n_tracks = n;
    return 0;
}

static int parse_unpublish(json_t *o, yh_sig_req_t *r, yh_sig_err_t *e)
{
    return get_str(o, "mid", 1, 1, YH_MEETING_MID_MAX, &r->u.unpublish.mid, NULL, e);
}

static int parse_answer(json_t *o, yh_sig_req_t *r, yh_sig_err_t *e)
{
    return get_str(o, "sdp", 1, 1, YH_SIG_SDP_MAX, &r->u.answer.sdp, &r->u.answer.sdp_len, e);
}

static int parse_nothing(json_t *o, yh_sig_req_t *r, yh_sig_err_t *e)
{
    return 0;
}

static int parse_subscription(json_t *o, yh_sig_req_t *r, yh_sig_err_t *e)
{
    static const char *const qualities[] = {"off", "low", "medium", "high"};
    const char *track = NULL, *quality = NULL;
    int rc = get_str(o, "track", 1, 1, 32, &track, NULL, e);
    if (rc == 0)
        rc = get_str(o, "quality", 0, 1, 16, &quality, NULL, e);
    if (rc < 0)
        return rc;
    r->u.subscription.track = track;
    r->u.subscription.quality = 3;
    if (quality) {
        size_t i = 0;
        while (i < 4 && strcmp(quality, qualities[i]) != 0)
            i++;
        if (i == 4)
            return fail(e, "field 'quality' must be \"off\", \"low\", \"medium\" or \"high\"");
        r->u.subscription.quality = (int)i - 1;
    }
    static const char *const dims[] = {"width", "height"};
    int *out[] = {&r->u.subscription.width, &r->u.subscription.height};
    for (size_t i = 0; i < 2; i++) {
        json_t *v = json_object_get(o, dims[i]);
        *out[i] = 0;
        if (v && !json_is_null(v) &&
            (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 16384))
            return fail(e, "field '%s' must be an integer 0..16384", dims[i]);
        if (v && json_is_integer(v))
            *out[i] = (int)json_integer_value(v);
    }
    json_t *fps = json_object_get(o, "fps");
    r->u.subscription.fps = 0;
    if (fps && !json_is_null(fps) &&
        (!json_is_integer(fps) || json_integer_value(fps) < 1 || json_integer_value(fps) > 120))
        return fail(e, "field 'fps' must be an integer 1..120");
    if (fps && json_is_integer(fps))
        r->u.subscription.fps = (int)json_integer_value(fps);
    return 0;
}

/* Chromium's simulcast VP8 has three temporal layers at 30 fps: TID 0
 * alone is 7.5 fps, TIDs 0-1 are 15 fps. The cap keeps the highest set
 * that stays at or under about the rate asked for; a wish of 24 fps or
 * more (or none) takes every layer. */
int yh_sig_fps_max_tid(int fps)
{
    if (fps <= 0 || fps >= 24)
        return YH_SFU_TID_ALL;
    return fps >= 12 ? 1 : 0;
}

static int parse_mute(json_t *o, yh_sig_req_t *r, yh_sig_err_t *e)
{
    int rc = get_source(o, "source", &r->u.mute.source, NULL, e);
    if (rc < 0)
        return rc;
    return get_bool(o, "muted", &r->u.mute.muted, e);
}

static int parse_hand(json_t *o, yh_sig_req_t *r, yh_sig_err_t *e)
{
    return get_bool(o, "raised", &r->u.hand.raised, e);
}

static int parse_chat(json_t *o, yh_sig_req_t *r, yh_sig_err_t *e)
{
    int rc = get_str(o, "text", 1, 1, YH_SIG_CHAT_MAX, &r->u.chat.text, NULL, e);
    if (rc < 0)
        return rc;
    r->u.chat.to = NULL;
    return get_str(o, "to", 0, 1, 32, &r->u.chat.to, NULL, e);
}

/* Fields of moderate actions. Each reader leaves its default when the
 * field is absent. */
static int mod_participant(json_t *o, yh_sig_req_t *r, yh_sig_err_t *e)
{
    return get_str(o, "participant", 1, 1, 32, &r->u.moderate.participant, NULL, e);
}

static int mod_source(json_t *o, yh_sig_req_t *r, yh_sig_err_t *e)
{
    int rc = mod_participant(o, r, e);
    int present = 0;
    if (rc == 0)
        rc = get_source(o, "source", &r->u.moderate.source, &present, e);
    return rc;
}

static int mod_role(json_t *o, yh_sig_req_t *r, yh_sig_err_t *e)
{
    const char *role = NULL;
    int rc = mod_participant(o, r, e);
    if (rc == 0)
        rc = get_str(o, "role", 1, 1, 16, &role, NULL, e);
    if (rc < 0)
        return rc;
    if (yh_role_parse(role, &r->u.moderate.role) < 0)
        return fail(e, "field 'role' must be \"host\", \"cohost\", \"speaker\" or \"attendee\"");
    return 0;
}

/* spotlight: a participant, or null / absent to clear it. */
static int mod_spotlight(json_t *o, yh_sig_req_t *r, yh_sig_err_t *e)
{
    return get_str(o, "participant", 0, 1, 32, &r->u.moderate.participant, NULL, e);
}

static int mod_interval(json_t *o, yh_sig_req_t *r, yh_sig_err_t *e)
{
    json_t *v = json_object_get(o, "interval");
    if (!v)
        return fail(e, "field 'interval' is required");
    if (!json_is_integer(v) || json_integer_value(v) < YH_SIG_ROLL_CALL_MIN ||
        json_integer_value(v) > YH_SIG_ROLL_CALL_MAX)
        return fail(e, "field 'interval' must be an integer %d..%d", YH_SIG_ROLL_CALL_MIN,
                    YH_SIG_ROLL_CALL_MAX);
    r->u.moderate.interval = (int)json_integer_value(v);
    return 0;
}

static int mod_floor(json_t *o, yh_sig_req_t *r, yh_sig_err_t *e)
{
    int rc = mod_participant(o, r, e);
    if (rc < 0 || !json_object_get(o, "exclusive"))
        return rc;
    return get_bool(o, "exclusive", &r->u.moderate.exclusive, e);
}

static int opt_bool(json_t *o, const char *key, int *out, yh_sig_err_t *e)
{
    return json_object_get(o, key) ? get_bool(o, key, out, e) : 0;
}

static int mod_settings(json_t *o, yh_sig_req_t *r, yh_sig_err_t *e)
{
    const char *publish = NULL;
    int rc = opt_bool(o, "waitingRoom", &r->u.moderate.waiting_room, e);
    if (rc == 0)
        rc = opt_bool(o, "muteOnEntry", &r->u.moderate.mute_on_entry, e);
    if (rc == 0)
        rc = get_str(o, "publish", 0, 1, 16, &publish, NULL, e);
    if (rc < 0)
        return rc;
    if (publish) {
        yh_publish_policy_t pol;
        if (yh_publish_parse(publish, &pol) < 0)
            return fail(e, "field 'publish' must be \"everyone\" or \"speakers\"");
        r->u.moderate.publish = (int)pol;
    }
    if (r->u.moderate.waiting_room < 0 && r->u.moderate.mute_on_entry < 0 &&
        r->u.moderate.publish < 0)
        return fail(e, "settings: give 'waitingRoom', 'muteOnEntry' or 'publish'");
    return 0;
}

static const struct {
    const char *name;
    parse_fn parse; /* NULL: no fields */
} actions[YH_MOD__COUNT] = {
    [YH_MOD_MUTE] = {"mute", mod_source},
    [YH_MOD_MUTE_ALL] = {"mute-all", NULL},
    [YH_MOD_ASK_UNMUTE] = {"ask-unmute", mod_source},
    [YH_MOD_REMOVE] = {"remove", mod_participant},
    [YH_MOD_ADMIT] = {"admit", mod_participant},
    [YH_MOD_DENY] = {"deny", mod_participant},
    [YH_MOD_SET_ROLE] = {"set-role", mod_role},
    [YH_MOD_SPOTLIGHT] = {"spotlight", mod_spotlight},
    [YH_MOD_LOCK] = {"lock", NULL},
    [YH_MOD_UNLOCK] = {"unlock", NULL},
    [YH_MOD_END] = {"end", NULL},
    [YH_MOD_ROLL_CALL_START] = {"roll-call-start", mod_interval},
    [YH_MOD_ROLL_CALL_STOP] = {"roll-call-stop", NULL},
    [YH_MOD_ROLL_CALL_NEXT] = {"roll-call-next", NULL},
    [YH_MOD_GIVE_FLOOR] = {"give-floor", mod_floor},
    [YH_MOD_SETTINGS] = {"settings", mod_settings},
};

const char *yh_sig_action_name(yh_mod_action_t a)
{
    return (unsigned)a < YH_MOD__COUNT ? actions[a].name : "?";
}

static int parse_moderate(json_t *o, yh_sig_req_t *r, yh_sig_err_t *e)
{
    const char *action = NULL;
    int rc = get_str(o, "action", 1, 1, 32, &action, NULL, e);
    if (rc < 0)
        return rc;
    r->u.moderate.source = YH_SOURCE_MICROPHONE;
    r->u.moderate.waiting_room = r->u.moderate.mute_on_entry = r->u.moderate.publish = -1;
    for (unsigned a = 0; a < YH_MOD__COUNT; a++) {
        if (strcmp(actions[a].name, action) == 0) {
            r->u.moderate.action = (yh_mod_action_t)a;
            return actions[a].parse ? actions[a].parse(o, r, e) : 0;
        }
    }
    char q[48];
    snprintf(q, sizeof q, "%.40s", action);
    return fail(e, "unknown moderate action '%s'", q);
}

/* The message table: the protocol name of each type and its validator.
 * Handlers live in a table of the dispatcher indexed by the same type. */
static const struct {
    const char *name;
    parse_fn parse;
} msgdefs[YH_SIG__COUNT] = {
    [YH_SIG_JOIN] = {"join", parse_join},
    [YH_SIG_RESUME] = {"resume", parse_resume},
    [YH_SIG_PUBLISH] = {"publish", parse_publish},
    [YH_SIG_UNPUBLISH] = {"unpublish", parse_unpublish},
    [YH_SIG_ANSWER] = {"answer", parse_answer},
    [YH_SIG_CANDIDATE] = {"candidate", parse_nothing},
    [YH_SIG_SUBSCRIPTION] = {"subscription", parse_subscription},
    [YH_SIG_MUTE] = {"mute", parse_mute},
    [YH_SIG_HAND] = {"hand", parse_hand},
    [YH_SIG_CHAT] = {"chat", parse_chat},
    [YH_SIG_LEAVE] = {"leave", parse_nothing},
    [YH_SIG_MODERATE] = {"moderate", parse_moderate},
    [YH_SIG_RESTART_ICE] = {"restart-ice", parse_nothing},
};

const char *yh_sig_type_name(yh_sig_type_t t)
{
    return (unsigned)t < YH_SIG__COUNT ? msgdefs[t].name : "?";
}

/* Copies at most 40 bytes of an unknown type name for the error message. */
static void quote_type(const char *s, char *out, size_t cap)
{
    snprintf(out, cap, "%.40s", s);
}

static int parse_envelope(json_t *root, yh_sig_req_t *r, yh_sig_err_t *e)
{
    json_t *id = json_object_get(root, "id");
    if (id && !json_is_null(id)) {
        if (!json_is_integer(id) && !json_is_string(id))
            return fail(e, "field 'id' must be an integer or a string");
        r->id = id;
    }
    json_t *type = json_object_get(root, "type");
    if (!type)
        return fail(e, "field 'type' is required");
    if (!json_is_string(type))
        return fail(e, "field 'type' must be a string");
    const char *name = json_string_value(type);
    for (unsigned t = 0; t < YH_SIG__COUNT; t++) {
        if (strcmp(msgdefs[t].name, name) == 0) {
            r->type = (yh_sig_type_t)t;
            return msgdefs[t].parse(root, r, e);
        }
    }
    char q[48];
    quote_type(name, q, sizeof q);
    return fail(e, "unknown message type '%s'", q);
}

int yh_sig_req_parse(const char *text, size_t len, yh_sig_req_t *req, yh_sig_err_t *err)
{
    memset(req, 0, sizeof *req);
    memset(err, 0, sizeof *err);
    req->type = YH_SIG__COUNT;
    json_error_t jerr;
    /* Duplicate keys are refused so that a field cannot be validated in one
     * copy and used in another; jansson bounds the nesting depth. */
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        fail(err, "malformed JSON: %s", jerr.text);
        err->fatal = 1;
        err->close_code = 1008;
        return YH_EPARSE;
    }
    req->root = root;
    if (!json_is_object(root)) {
        fail(err, "a message must be a JSON object");
        err->fatal = 1;
        err->close_code = 1008;
        return YH_EPARSE;
    }
    return parse_envelope(root, req, err);
}

void yh_sig_req_free(yh_sig_req_t *req)
{
    if (!req)
        return;
    json_decref(req->root);
    req->root = NULL;
    req->id = NULL;
}
