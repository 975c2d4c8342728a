/*
 * resume_link.h - the signed link that reopens a conversation (issue 14,
 * docs/subsystems/notifications.md "The signed link"): a customer who left
 * gets the agent's reply by e-mail with a link carrying the session id, an
 * expiry and an HMAC-SHA256 over both under the server's link secret.
 * POST /api/v1/conversation-links/redeem checks it (constant-time compare,
 * expiry) and gives the widget a customer token for that session.
 *
 * Threads: any; pure. Ownership: outputs are caller-owned buffers.
 */
#ifndef PARLEY_RESUME_LINK_H
#define PARLEY_RESUME_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* hex of an HMAC-SHA256, with its NUL */
#define PARLEY_RESUME_SIG_SIZE 65

/* sig_out = hex HMAC-SHA256(secret, "parley-resume:" session_id ":" expires_s). */
void parley_resume_link_sign(const char *secret, const char *session_id, int64_t expires_s,
                             char sig_out[PARLEY_RESUME_SIG_SIZE]);

/* Is sig the signature of (session_id, expires_s), compared in constant
 * time, and now_s <= expires_s? A malformed sig is false. */
bool parley_resume_link_verify(const char *secret, const char *session_id, int64_t expires_s,
                               const char *sig, int64_t now_s);

/* The token of a password reset e-mail (issue 14): hex HMAC-SHA256(secret,
 * "parley-password-reset:" reset_id). Only its SHA-256 is stored; the
 * e-mail channel derives it again from the reset's random id. */
void parley_password_reset_token(const char *secret, const char *reset_id,
                                 char token_out[PARLEY_RESUME_SIG_SIZE]);

#endif
