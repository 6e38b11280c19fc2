/*
 * STUN message codec (RFC 5389 / RFC 8489) for ICE connectivity checks.
 * Sans-I/O: parses caller buffers, writes into caller buffers, no sockets,
 * no clocks. HMAC-SHA1 (MESSAGE-INTEGRITY, RFC 5389 15.4) comes from
 * OpenSSL, FINGERPRINT's CRC-32 (15.5) from zlib.
 */
#ifndef YH_STUN_STUN_H
#define YH_STUN_STUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define YH_STUN_HEADER_LEN 20
#define YH_STUN_MAGIC 0x2112A442u
#define YH_STUN_MAX_USERNAME 513
/* How many unknown comprehension-required attribute types a parsed message
 * remembers for the UNKNOWN-ATTRIBUTES of a 420 response. */
#define YH_STUN_MAX_UNKNOWN 8

/* Message types (method | class). */
enum {
    YH_STUN_BINDING_REQUEST = 0x0001,
    YH_STUN_BINDING_INDICATION = 0x0011,
    YH_STUN_BINDING_SUCCESS = 0x0101,
    YH_STUN_BINDING_ERROR = 0x0111,
};

/* Attribute types used by ICE (RFC 5389 18.2, RFC 8445 16.1). */
enum {
    YH_STUN_ATTR_MAPPED_ADDRESS = 0x0001,
    YH_STUN_ATTR_USERNAME = 0x0006,
    YH_STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
    YH_STUN_ATTR_ERROR_CODE = 0x0009,
    YH_STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
    YH_STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
    YH_STUN_ATTR_PRIORITY = 0x0024,
    YH_STUN_ATTR_USE_CANDIDATE = 0x0025,
    YH_STUN_ATTR_SOFTWARE = 0x8022,
    YH_STUN_ATTR_FINGERPRINT = 0x8028,
    YH_STUN_ATTR_ICE_CONTROLLED = 0x8029,
    YH_STUN_ATTR_ICE_CONTROLLING = 0x802A,
};

/* A parsed message. Pointers borrow from the parsed buffer. */
typedef struct yh_stun_msg {
    uint16_t type;
    uint16_t length; /* body length from the header */
    uint8_t txid[12];
    const uint8_t *username;
    size_t username_len;
    /* Offset of the MESSAGE-INTEGRITY attribute header in the buffer,
     * 0 when absent. */
    size_t integrity_off;
    int has_fingerprint;
    int use_candidate;
    int has_priority;
    uint32_t priority;
    int has_controlling;
    int has_controlled;
    uint64_t tiebreaker;
    int has_xor_mapped;
    struct sockaddr_storage xor_mapped;
    int has_error;
    uint16_t error_code;
    /* Set when a comprehension-required attribute (< 0x8000) is unknown. */
    int has_unknown_required;
    /* The first YH_STUN_MAX_UNKNOWN such types, in message order, for the
     * UNKNOWN-ATTRIBUTES of a 420 response (RFC 5389 7.3.1). */
    uint16_t unknown[YH_STUN_MAX_UNKNOWN];
    size_t unknown_count;
} yh_stun_msg_t;

/* Cheap test of the first bytes: top two bits zero, magic cookie,
 * length a multiple of 4 matching `len`. Returns 1 or 0. */
int yh_stun_is_stun(const uint8_t *buf, size_t len);

/* Parses one message of exactly `len` bytes. Verifies FINGERPRINT when it is
 * present (YH_EINTEGRITY when wrong). Returns bytes consumed or YH_E*:
 * YH_ETRUNC when `len` or an attribute is cut short, YH_EPARSE for a bad
 * header, a bad attribute length or value, or an attribute after
 * FINGERPRINT. Attributes after MESSAGE-INTEGRITY other than FINGERPRINT are
 * length-checked and otherwise ignored (RFC 5389 15.4); of a repeated
 * attribute the first counts. `msg` is undefined after an error. */
int yh_stun_parse(const uint8_t *buf, size_t len, yh_stun_msg_t *msg);

/* Checks MESSAGE-INTEGRITY of a message parsed from `buf` with the
 * short-term credential `key` (the password). 0, or YH_EINTEGRITY /
 * YH_ENOTFOUND when the attribute is missing. Constant-time compare. */
int yh_stun_check_integrity(const uint8_t *buf, size_t len, const yh_stun_msg_t *msg,
                            const void *key, size_t key_len);

/* Builder writing a message into a caller buffer. Attributes are appended
 * in call order; integrity then fingerprint must come last. */
typedef struct yh_stun_builder {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int err; /* first error, sticky; checked by yh_stun_build_finish */
    /* 0 while attributes may be added, 1 after MESSAGE-INTEGRITY (only
     * FINGERPRINT may follow), 2 after FINGERPRINT; a call out of that order
     * sets err to YH_ESTATE. */
    int stage;
} yh_stun_builder_t;

void yh_stun_build_begin(yh_stun_builder_t *b, uint8_t *buf, size_t cap, uint16_t type,
                         const uint8_t txid[12]);
void yh_stun_add_bytes(yh_stun_builder_t *b, uint16_t attr, const void *data, size_t len);
void yh_stun_add_u32(yh_stun_builder_t *b, uint16_t attr, uint32_t v);
void yh_stun_add_u64(yh_stun_builder_t *b, uint16_t attr, uint64_t v);
void yh_stun_add_flag(yh_stun_builder_t *b, uint16_t attr); /* zero-length, e.g. USE-CANDIDATE */
void yh_stun_add_xor_address(yh_stun_builder_t *b, uint16_t attr, const struct sockaddr *addr);
void yh_stun_add_error(yh_stun_builder_t *b, uint16_t code, const char *reason);
void yh_stun_add_integrity(yh_stun_builder_t *b, const void *key, size_t key_len);
void yh_stun_add_fingerprint(yh_stun_builder_t *b);
/* Returns the message length, or the first YH_E* error. */
int yh_stun_build_finish(yh_stun_builder_t *b);

/* Binding success response for an ICE check (RFC 8445 7.3.1.4):
 * XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY with `pwd`, FINGERPRINT.
 * Returns length or YH_E*. */
int yh_stun_build_binding_success(uint8_t *buf, size_t cap, const uint8_t txid[12],
                                  const struct sockaddr *mapped, const char *pwd);

/* Binding error response (e.g. 400, 401, 487); integrity only when `pwd`
 * is not NULL. Returns length or YH_E*. */
int yh_stun_build_binding_error(uint8_t *buf, size_t cap, const uint8_t txid[12],
                                uint16_t code, const char *reason, const char *pwd);

/* Binding request as a controlling or controlled agent (RFC 8445 7.1.1):
 * USERNAME "remote_ufrag:local_ufrag" given whole in `username`, PRIORITY,
 * ICE-CONTROLLING/CONTROLLED with `tiebreaker`, USE-CANDIDATE when asked,
 * MESSAGE-INTEGRITY with the remote password, FINGERPRINT. */
int yh_stun_build_binding_request(uint8_t *buf, size_t cap, const uint8_t txid[12],
                                  const char *username, const char *remote_pwd,
                                  uint32_t priority, int controlling, uint64_t tiebreaker,
                                  int use_candidate);

/* Copies the part of USERNAME before ':' (the receiver's own ufrag in a
 * request) into `out` (NUL-terminated). YH_ENOTFOUND / YH_ENOSPACE. */
int yh_stun_username_local(const yh_stun_msg_t *msg, char *out, size_t cap);

#endif
