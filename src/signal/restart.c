/*
 * ICE restart on an existing media connection (RFC 8445 section 9, RFC
 * 8839 section 4.4.1.1.1): when a client's network changes, new ICE
 * credentials on both sides let its checks from the new address be told
 * from stale ones, while DTLS, SRTP and the tracks go on. (docs/protocol.md
 * "ICE restart", an addition to the design.)
 *
 * - Publishing: an offer on the publish connection whose ice-ufrag or
 *   ice-pwd differs from the previous offer's is a restart; the answer
 *   carries new server credentials.
 * - Subscribing: the server owns the offers, so the client asks with
 *   `restart-ice`; the next offer carries new server credentials and the
 *   client's answer its new ones.
 *
 * The media plane takes the new local credentials as soon as they are
 * written in an SDP, so the client's first checks with them are answered.
 */
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/rand.h"
#include "signal/signal_int.h"

static void sfu_restart(yh_signal_t *s, uint32_t transport, const char *ufrag, const char *pwd,
                        const char *remote_ufrag)
{
    if (!s->sfu || !transport)
        return;
    yh_sfu_transport_params_t tp;
    memset(&tp, 0, sizeof tp);
    tp.id = transport;
    snprintf(tp.local_ufrag, sizeof tp.local_ufrag, "%s", ufrag);
    snprintf(tp.local_pwd, sizeof tp.local_pwd, "%s", pwd);
    /* An ufrag too long for the media plane was refused by the SDP
     * module already (256 characters at most). */
    snprintf(tp.remote_ufrag, sizeof tp.remote_ufrag, "%s", remote_ufrag);
    int rc = yh_sfu_transport_restart_ice(s->sfu, &tp);
    if (rc < 0)
        YH_LOGW("signal", "transport %u ICE restart: %s", (unsigned)transport, yh_strerror(rc));
}

int yh_sig_pub_is_restart(const yh_participant_t *p, const yh_sdp_pub_t *pub)
{
    return p->pub_transport && (strcmp(p->pub_remote_ufrag, pub->remote_ufrag) != 0 ||
                                strcmp(p->pub_remote_pwd, pub->remote_pwd) != 0);
}

int yh_sig_ice_credentials(char *ufrag, char *pwd)
{
    int rc = yh_rand_ice_chars(ufrag, YH_MEETING_ICE_UFRAG_LEN);
    return rc < 0 ? rc : yh_rand_ice_chars(pwd, YH_MEETING_ICE_PWD_LEN);
}

void yh_sig_pub_accepted(yh_signal_t *s, yh_participant_t *p, const yh_sdp_pub_t *pub,
                         const char *ufrag, const char *pwd)
{
    int restart = yh_sig_pub_is_restart(p, pub);
    snprintf(p->pub_ufrag, sizeof p->pub_ufrag, "%s", ufrag);
    snprintf(p->pub_pwd, sizeof p->pub_pwd, "%s", pwd);
    snprintf(p->pub_remote_ufrag, sizeof p->pub_remote_ufrag, "%s", pub->remote_ufrag);
    snprintf(p->pub_remote_pwd, sizeof p->pub_remote_pwd, "%s", pub->remote_pwd);
    if (!restart)
        return;
    YH_LOGI("signal", "%s: ICE restart of the publish connection", p->id);
    sfu_restart(s, p->pub_transport, p->pub_ufrag, p->pub_pwd, p->pub_remote_ufrag);
}

int yh_sig_media_restart_ice(yh_signal_t *s, yh_participant_t *p, yh_sig_err_t *err)
{
    if (!p->sub_transport) {
        err->code = "bad-request";
        snprintf(err->message, sizeof err->message, "no receiving connection to restart");
        return YH_ESTATE;
    }
    if (p->sub_restart)
        return 0; /* already on its way */
    YH_LOGI("signal", "%s: ICE restart of the receiving connection asked", p->id);
    /* The new credentials are made with the offer (yh_sig_sub_offering):
     * an offer outstanding now is answered with the old ones, and the
     * restart offer follows its answer. */
    p->sub_restart = 1;
    p->sub_dirty = 1;
    return 0;
}

int yh_sig_sub_offering(yh_participant_t *p)
{
    if (p->sub_restart != 1)
        return 0;
    return yh_sig_ice_credentials(p->sub_ufrag, p->sub_pwd);
}

void yh_sig_sub_offered(yh_signal_t *s, yh_participant_t *p)
{
    if (p->sub_restart != 1)
        return;
    p->sub_restart = 2;
    /* The client's new credentials come with its answer. */
    sfu_restart(s, p->sub_transport, p->sub_ufrag, p->sub_pwd, "");
}

void yh_sig_sub_answered(yh_signal_t *s, yh_participant_t *p, const yh_sdp_sub_answer_t *a)
{
    int changed = p->sub_restart == 2 || strcmp(p->sub_remote_ufrag, a->remote_ufrag) != 0;
    snprintf(p->sub_remote_ufrag, sizeof p->sub_remote_ufrag, "%s", a->remote_ufrag);
    if (p->sub_restart == 2)
        p->sub_restart = 0;
    if (changed && p->sub_transport)
        sfu_restart(s, p->sub_transport, p->sub_ufrag, p->sub_pwd, a->remote_ufrag);
}
