/*
 * SRTP test vectors, as hex text (spaces ignored).
 */
#ifndef YH_TESTS_SRTP_VECTORS_H
#define YH_TESTS_SRTP_VECTORS_H

/* RFC 3711 Appendix B.3: key derivation, key derivation rate 0. */
static const char b3_master_key[] = "E1F97A0D3E018BE0D64FA32C06DE4139";
static const char b3_master_salt[] = "0EC675AD498AFEEBB6960B3AABE6";
static const char b3_cipher_key[] = "C61E7A93744F39EE10734AFE3FF7A087";
static const char b3_cipher_salt[] = "30CBBC08863D8C85D49DB34A9AE1";
static const char b3_auth_key[] = /* 94 octets, as the appendix derives them */
    "CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE"
    "E049646C43D9327AD175578EF7227098 6371C10C9A369AC2F94A8C5FBCDDDC25"
    "6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2";

/* RFC 3711 Appendix B.2: AES-CM keystream, 1044512 octets (65282 blocks)
 * from counter F0F1...FCFD0000: the first three blocks and the last three. */
static const char b2_session_key[] = "2B7E151628AED2A6ABF7158809CF4F3C";
static const char b2_session_salt[] = "F0F1F2F3F4F5F6F7F8F9FAFBFCFD";
#define B2_KEYSTREAM_LEN 1044512
static const char b2_keystream_head[] = "E03EAD0935C95E80E166B16DD92B4EB4"
                                        "D23513162B02D0F72A43A2FE4A5F97AB"
                                        "41E95B3BB0A2E8DD477901E4FCA894C0";
static const char b2_keystream_tail[] = "EC8CDF7398607CB0F2D21675EA9EA1E4"
                                        "362B7C3C6773516318A077D7FC5073AE"
                                        "6A2CC3787889374FBEB4C81B17BA6C44";

/* RFC 7714 16.1 and 17.1 (AEAD_AES_128_GCM): session key and salt given
 * directly, one RTP packet (SSRC 0x5501a0b2, ROC 0, SEQ 0xf17b) and one
 * RTCP packet (SSRC "Mars", SRTCP index 0x5d4) encrypted, and the same
 * RTCP packet authenticated only (E-bit clear, 17.3). */
static const char gcm_session_key[] = "000102030405060708090a0b0c0d0e0f";
static const char gcm_session_salt[] = "517569642070726f2071756f";
static const char gcm_rtp_plain_hex[] = "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f"
                                        "6d6e6973 20646976 69736120 696e2070 61727465 73207472"
                                        "6573";
static const char gcm_rtp_srtp_hex[] = "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c"
                                       "9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf"
                                       "8833899d 7f27beb1 6a9152cf 765ee439 0cce";
static const char gcm_rtcp_plain_hex[] = "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a"
                                         "0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef"
                                         "deadbeef";
static const char gcm_rtcp_srtcp_hex[] = "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99"
                                         "7ff5c0f7 6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded"
                                         "0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4";
static const char gcm_rtcp_tagged_hex[] = "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a"
                                          "0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef"
                                          "deadbeef 841dd968 3dd78ec9 2ae58790 125f62b3 000005d4";
#define GCM_RTCP_INDEX 0x5d4

/* From libsrtp's test/srtp_driver.c (srtp_validate, srtp_validate_gcm):
 * one RTP and one RTCP packet of SSRC 0xcafebabe under a fixed master key
 * and salt. libsrtp numbers its first SRTCP packet 1; RFC 3711 3.4 numbers
 * it 0, so here the vector is the second packet. */
static const char lib_cm_master[] = "e1f97a0d3e018be0d64fa32c06de4139 0ec675ad498afeebb6960b3aabe6";
static const char lib_gcm_master[] = "000102030405060708090a0b0c0d0e0f a0a1a2a3a4a5a6a7a8a9aaab";
static const char lib_rtp_plain[] =
    "800f1234 decafbad cafebabe abababab abababab abababab abababab";
static const char lib_rtcp_plain[] = "81c8000b cafebabe abababab abababab abababab abababab";
static const char lib_cm_srtp[] = "800f1234 decafbad cafebabe 4e55dc4c e79978d8 8ca4d215 949d2402"
                                  "b78d6acc 99ea179b 8dbb";
static const char lib_cm_srtcp[] = "81c8000b cafebabe 7128035b e487b9bd bef89041 f977a5a8 80000001"
                                   "993e08cd 54d6c123 0798";
static const char lib_gcm_srtp[] = "800f1234 decafbad cafebabe c5002ede 04cfdd2e b91159e0 880aa06e"
                                   "d2976826 f796b201 df3131a1 27e8a392";
static const char lib_gcm_srtcp[] = "81c8000b cafebabe c98b8b5d f0392a55 852b6c21 ac8e7025 c52c6fbe"
                                    "a2b3b446 ea31123b a88ce61e 80000001";

#endif
