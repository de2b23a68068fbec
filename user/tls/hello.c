// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hello.c - bounded parsers for the first handshake bytes of a TLS flow: the
 * ClientHello, and whatever the server answered first.
 *
 * Layout references: RFC 8446 4.1.2-4.1.4 (hello messages), 4.2 (extensions),
 * RFC 6066 3 (server_name), RFC 7301 3.1 (ALPN), RFC 8701 (GREASE), FoxIO
 * JA4.md (fingerprint). Input is hostile: every length is checked against
 * the bytes that actually enclose it, and reading stops rather than guesses.
 */
#include <string.h>

#include "tls/hello.h"

/* ---- bounded reader ---- */

/*
 * A window on the input. "cut" means the window ends because our copy of the
 * message ended (truncated capture), not because the structure did: running
 * off the end of a cut window is expected, running off a whole one means the
 * peer's length fields lie, which we record as malformed.
 */
struct rd {
	const uint8_t *p;
	size_t len;
	size_t off;
	int cut;
	int *malformed;
};

static size_t rd_left(const struct rd *r)
{
	return r->len - r->off;
}

static int rd_need(struct rd *r, size_t n)
{
	if (rd_left(r) >= n)
		return 1;
	if (!r->cut)
		*r->malformed = 1;
	r->off = r->len; /* nothing more to read here either way */
	return 0;
}

static int rd_u8(struct rd *r, uint8_t *v)
{
	if (!rd_need(r, 1))
		return 0;
	*v = r->p[r->off++];
	return 1;
}

static int rd_u16(struct rd *r, uint16_t *v)
{
	if (!rd_need(r, 2))
		return 0;
	*v = (uint16_t)(r->p[r->off] << 8 | r->p[r->off + 1]);
	r->off += 2;
	return 1;
}

static int rd_skip(struct rd *r, size_t n)
{
	if (!rd_need(r, n))
		return 0;
	r->off += n;
	return 1;
}

/* Carve the next n bytes out as a sub-window. In a cut window the sub-window
 * may be shorter than n (and is then cut itself); in a whole window asking
 * for more than is left is malformed and fails. */
static int rd_sub(struct rd *r, size_t n, struct rd *sub)
{
	size_t left = rd_left(r);

	sub->p = r->p + r->off;
	sub->off = 0;
	sub->malformed = r->malformed;
	if (n <= left) {
		sub->len = n;
		sub->cut = 0;
		r->off += n;
		return 1;
	}
	if (!r->cut) {
		*r->malformed = 1;
		sub->len = 0;
		sub->cut = 0;
		r->off = r->len;
		return 0;
	}
	sub->len = left;
	sub->cut = 1;
	r->off = r->len;
	return 1;
}

/* A vector with a 1- or 2-byte length prefix, as a sub-window. */
static int rd_vec8(struct rd *r, struct rd *sub)
{
	uint8_t n;

	return rd_u8(r, &n) && rd_sub(r, n, sub);
}

static int rd_vec16(struct rd *r, struct rd *sub)
{
	uint16_t n;

	return rd_u16(r, &n) && rd_sub(r, n, sub);
}

/* ---- record layer: reassembling the first handshake message ---- */

static uint32_t get_u24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

struct hs_msg {
	uint8_t buf[4 + TA_TLS_HS_MAX]; /* handshake header + body, as reassembled */
	size_t got;			/* bytes in buf */
	uint16_t record_version;	/* of the first record, 0 if unseen */
	int stream_bad;			/* something else interrupted the message */
	int oversize;			/* announced body > TA_TLS_HS_MAX */
	/* valid once got >= 4 */
	uint8_t type;
	uint32_t hs_len; /* announced body length */
	size_t body_len; /* body bytes we have, <= hs_len */
};

/*
 * Collect the first handshake message from consecutive handshake records.
 * Returns -1 when in does not start with a TLS handshake record header (as
 * far as it goes), 0 otherwise; m->got < 4 + m->hs_len means we ran short.
 */
static int hs_gather(const uint8_t *in, size_t len, struct hs_msg *m)
{
	size_t pos = 0;

	m->got = 0;
	m->record_version = 0;
	m->stream_bad = 0;
	m->oversize = 0;
	m->type = 0;
	m->hs_len = 0;
	m->body_len = 0;
	if (len < 1 || in[0] != TA_TLS_CT_HANDSHAKE || (len >= 2 && in[1] != 3))
		return -1;
	if (len >= 3)
		m->record_version = (uint16_t)(in[1] << 8 | in[2]);

	while (pos < len) {
		size_t rl, avail, room;

		/* stop as soon as the whole message is here: what follows is
		 * not ours to judge (early data, a second message ...) */
		if (m->got >= 4 && m->got - 4 >= m->hs_len)
			break;
		if (m->got >= sizeof(m->buf))
			break;
		if (in[pos] != TA_TLS_CT_HANDSHAKE || (len - pos >= 2 && in[pos + 1] != 3)) {
			m->stream_bad = 1;
			break;
		}
		if (len - pos < 5)
			break; /* a partial record header: short */
		rl = (size_t)in[pos + 3] << 8 | in[pos + 4];
		pos += 5;
		avail = len - pos < rl ? len - pos : rl;
		room = sizeof(m->buf) - m->got;
		memcpy(m->buf + m->got, in + pos, avail < room ? avail : room);
		m->got += avail < room ? avail : room;
		pos += avail;
		if (m->got >= 4)
			m->hs_len = get_u24(m->buf + 1);
	}
	if (m->got >= 1)
		m->type = m->buf[0];
	if (m->got >= 4) {
		m->hs_len = get_u24(m->buf + 1);
		m->body_len = m->got - 4 < m->hs_len ? m->got - 4 : m->hs_len;
		m->oversize = m->hs_len > TA_TLS_HS_MAX;
	}
	return 0;
}

static int hs_short(const struct hs_msg *m)
{
	return m->got < 4 || m->body_len < m->hs_len;
}

/* ---- ClientHello ---- */

/* Append v to a u16 list unless it is GREASE; count what did not fit. */
static void list_add(uint16_t v, uint16_t *arr, uint16_t *n, unsigned int cap, uint32_t *ovf,
		     uint32_t bit, uint16_t *n_grease)
{
	if (ta_tls_is_grease(v)) {
		if (*n_grease < UINT16_MAX)
			(*n_grease)++;
		return;
	}
	if (*n < cap)
		arr[(*n)++] = v;
	else
		*ovf |= bit;
}

/* A vector of u16 values (cipher suites, groups, sigalgs, versions). An odd
 * byte count in a whole window is malformed; the pairs before it count. */
static void rd_u16_list(struct rd *r, uint16_t *arr, uint16_t *n, unsigned int cap, uint32_t *ovf,
			uint32_t bit, uint16_t *n_grease)
{
	uint16_t v;

	if (rd_left(r) % 2 && !r->cut)
		*r->malformed = 1;
	while (rd_left(r) >= 2 && rd_u16(r, &v))
		list_add(v, arr, n, cap, ovf, bit, n_grease);
}

static void ch_server_name(struct rd *ext, struct ta_client_hello *ch)
{
	struct rd list, name;
	uint8_t type;

	ch->sni_present = 1;
	/* RFC 6066: the client's extension_data is a ServerNameList; an empty
	 * extension is only legal from the server, but say what we saw */
	if (!rd_left(ext))
		return;
	if (!rd_vec16(ext, &list))
		return;
	while (rd_left(&list)) {
		if (!rd_u8(&list, &type) || !rd_vec16(&list, &name))
			return;
		/* the first host_name is the one servers route on */
		if (type == 0 && !ch->sni_len && !(ch->overflow & TA_TLS_OVF_SNI)) {
			size_t n = name.len;

			if (n > TA_TLS_SNI_MAX) {
				n = TA_TLS_SNI_MAX;
				ch->overflow |= TA_TLS_OVF_SNI;
			}
			memcpy(ch->sni, name.p, n);
			ch->sni[n] = '\0';
			ch->sni_len = (uint16_t)n;
			if (!n)
				return; /* a zero-length host_name: keep the first */
		}
	}
}

static void ch_alpn(struct rd *ext, struct ta_client_hello *ch)
{
	struct rd list, name;

	ch->alpn_present = 1;
	if (!rd_vec16(ext, &list))
		return;
	while (rd_left(&list)) {
		if (!rd_vec8(&list, &name))
			return;
		/* RFC 8701 reserves two-byte GREASE protocol ids too, and JA4
		 * ignores GREASE wherever it appears */
		if (name.len == 2 && !name.cut &&
		    ta_tls_is_grease((uint16_t)(name.p[0] << 8 | name.p[1]))) {
			if (ch->n_grease < UINT16_MAX)
				ch->n_grease++;
			continue;
		}
		if (ch->n_alpn >= TA_TLS_ALPN_MAX) {
			ch->overflow |= TA_TLS_OVF_ALPN;
			continue;
		}
		/* name.len <= 255 by the 1-byte prefix, so it always fits */
		ch->alpn[ch->n_alpn].len = (uint8_t)name.len;
		memcpy(ch->alpn[ch->n_alpn].name, name.p, name.len);
		ch->n_alpn++;
	}
}

static void ch_key_share(struct rd *ext, struct ta_client_hello *ch)
{
	struct rd list, key;
	uint16_t group, klen;

	if (!rd_vec16(ext, &list))
		return;
	while (rd_left(&list)) {
		if (!rd_u16(&list, &group) || !rd_u16(&list, &klen))
			return;
		/* record the group even when the key itself is cut short */
		if (!rd_sub(&list, klen, &key))
			return;
		if (ta_tls_is_grease(group)) {
			if (ch->n_grease < UINT16_MAX)
				ch->n_grease++;
			continue;
		}
		if (ch->n_key_shares >= TA_TLS_MAX_KEY_SHARES) {
			ch->overflow |= TA_TLS_OVF_KEY_SHARES;
			continue;
		}
		ch->key_shares[ch->n_key_shares] = group;
		ch->key_share_len[ch->n_key_shares] = klen;
		ch->n_key_shares++;
	}
}

/* Decode the extensions we report on; only the first occurrence of each
 * (a repeated extension is illegal and we will not let it overwrite). */
static void ch_extension(uint16_t type, struct rd *ext, struct ta_client_hello *ch,
			 unsigned int *seen)
{
	struct rd v;
	unsigned int bit;

	switch (type) {
	case TA_TLS_EXT_SERVER_NAME:
		bit = 1u << 0;
		break;
	case TA_TLS_EXT_SUPPORTED_GROUPS:
		bit = 1u << 1;
		break;
	case TA_TLS_EXT_SIGALGS:
		bit = 1u << 2;
		break;
	case TA_TLS_EXT_ALPN:
		bit = 1u << 3;
		break;
	case TA_TLS_EXT_SUPPORTED_VERSIONS:
		bit = 1u << 4;
		break;
	case TA_TLS_EXT_KEY_SHARE:
		bit = 1u << 5;
		break;
	case TA_TLS_EXT_ECH:
		ch->ech = 1;
		return;
	default:
		return;
	}
	if (*seen & bit) {
		*ext->malformed = 1;
		return;
	}
	*seen |= bit;

	switch (type) {
	case TA_TLS_EXT_SERVER_NAME:
		ch_server_name(ext, ch);
		break;
	case TA_TLS_EXT_SUPPORTED_GROUPS:
		if (rd_vec16(ext, &v))
			rd_u16_list(&v, ch->groups, &ch->n_groups, TA_TLS_MAX_GROUPS, &ch->overflow,
				    TA_TLS_OVF_GROUPS, &ch->n_grease);
		break;
	case TA_TLS_EXT_SIGALGS:
		if (rd_vec16(ext, &v))
			rd_u16_list(&v, ch->sigalgs, &ch->n_sigalgs, TA_TLS_MAX_SIGALGS,
				    &ch->overflow, TA_TLS_OVF_SIGALGS, &ch->n_grease);
		break;
	case TA_TLS_EXT_ALPN:
		ch_alpn(ext, ch);
		break;
	case TA_TLS_EXT_SUPPORTED_VERSIONS:
		/* ClientHello form: a list with a 1-byte length (RFC 8446 4.2.1) */
		if (rd_vec8(ext, &v))
			rd_u16_list(&v, ch->versions, &ch->n_versions, TA_TLS_MAX_VERSIONS,
				    &ch->overflow, TA_TLS_OVF_VERSIONS, &ch->n_grease);
		break;
	case TA_TLS_EXT_KEY_SHARE:
		ch_key_share(ext, ch);
		break;
	}
}

static void ch_body(struct rd *r, struct ta_client_hello *ch)
{
	struct rd v, exts, ext;
	uint16_t type;
	unsigned int seen = 0;
	uint8_t sid;

	if (!rd_u16(r, &ch->legacy_version) || !rd_skip(r, 32))
		return;
	if (!rd_u8(r, &sid))
		return;
	ch->session_id_len = sid;
	if (sid > 32)
		*r->malformed = 1; /* RFC 8446: legacy_session_id<0..32> */
	if (!rd_sub(r, sid, &v))
		return;
	if (!rd_vec16(r, &v))
		return;
	rd_u16_list(&v, ch->ciphers, &ch->n_ciphers, TA_TLS_MAX_CIPHERS, &ch->overflow,
		    TA_TLS_OVF_CIPHERS, &ch->n_grease);
	if (!rd_vec8(r, &v)) /* legacy_compression_methods */
		return;
	/* SSL 3.0-era hellos may end here: no extensions at all */
	if (!rd_left(r))
		return;
	if (!rd_vec16(r, &exts))
		return;
	while (rd_left(&exts)) {
		if (!rd_u16(&exts, &type))
			break;
		/* the type counts for JA4 even if its body turns out bad */
		list_add(type, ch->exts, &ch->n_exts, TA_TLS_MAX_EXTS, &ch->overflow,
			 TA_TLS_OVF_EXTS, &ch->n_grease);
		if (!rd_vec16(&exts, &ext))
			break;
		ch_extension(type, &ext, ch, &seen);
	}
	if (rd_left(r) && !r->cut)
		*r->malformed = 1; /* bytes after the extensions block */
}

int ta_tls_group_is_pq(uint16_t g)
{
	switch (g) {
	case 0x0200: /* MLKEM512 (draft-ietf-tls-mlkem) */
	case 0x0201: /* MLKEM768 */
	case 0x0202: /* MLKEM1024 */
	case 0x11eb: /* SecP256r1MLKEM768 (draft-ietf-tls-ecdhe-mlkem) */
	case 0x11ec: /* X25519MLKEM768 */
	case 0x11ed: /* SecP384r1MLKEM1024 */
	case 0x11ee: /* curveSM2MLKEM768 (draft-yang-tls-hybrid-sm2-mlkem) */
	case 0x6399: /* X25519Kyber768Draft00 (obsolete, still in the wild) */
	case 0x639a: /* SecP256r1Kyber768Draft00 (obsolete) */
		return 1;
	}
	return 0;
}

int ta_parse_client_hello(const uint8_t *buf, size_t len, struct ta_client_hello *out)
{
	struct hs_msg m;
	struct rd r;
	int malformed = 0;
	unsigned int i;

	memset(out, 0, sizeof(*out));
	if (!buf || hs_gather(buf, len, &m) < 0)
		return -1;
	if (m.got >= 1 && m.type != TA_TLS_HS_CLIENT_HELLO)
		return -1;

	out->record_version = m.record_version;
	out->handshake_len = m.hs_len;
	out->body_len = (uint32_t)m.body_len;
	out->truncated = hs_short(&m);
	if (m.oversize)
		out->overflow |= TA_TLS_OVF_HANDSHAKE;
	/* records that stop before the message does are only malformed when
	 * something other than the end of our bytes stopped them */
	if (m.stream_bad && out->truncated)
		malformed = 1;

	if (m.got >= 4) {
		r.p = m.buf + 4;
		r.len = m.body_len;
		r.off = 0;
		r.cut = out->truncated;
		r.malformed = &malformed;
		ch_body(&r, out);
	}
	out->malformed = (uint8_t)malformed;

	for (i = 0; i < out->n_groups && !out->pq; i++)
		out->pq = (uint8_t)ta_tls_group_is_pq(out->groups[i]);
	for (i = 0; i < out->n_key_shares && !out->pq; i++)
		out->pq = (uint8_t)ta_tls_group_is_pq(out->key_shares[i]);
	return 0;
}

/* ---- the server's first bytes ---- */

/* RFC 8446 4.1.3: a HelloRetryRequest is a ServerHello whose random is
 * SHA-256("HelloRetryRequest"). */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static void sh_body(struct rd *r, struct ta_server_hello *sh)
{
	struct rd v, exts, ext, name;
	uint16_t type, val;
	uint8_t u8;
	int sv_seen = 0;

	if (!rd_u16(r, &sh->legacy_version))
		return;
	sh->version = sh->legacy_version;
	if (rd_left(r) >= 32 && !memcmp(r->p + r->off, hrr_random, 32))
		sh->hrr = 1;
	if (!rd_skip(r, 32) || !rd_vec8(r, &v)) /* random, legacy_session_id_echo */
		goto out;
	if (!rd_u16(r, &sh->cipher))
		goto out;
	sh->has_cipher = 1;
	if (!rd_u8(r, &u8)) /* legacy_compression_method */
		goto out;
	if (!rd_left(r))
		goto out; /* TLS 1.2 and older may send no extensions */
	if (!rd_vec16(r, &exts))
		goto out;
	while (rd_left(&exts)) {
		if (!rd_u16(&exts, &type))
			break;
		if (sh->n_exts < TA_TLS_SH_MAX_EXTS)
			sh->exts[sh->n_exts++] = type;
		else
			sh->overflow |= TA_TLS_OVF_EXTS;
		if (!rd_vec16(&exts, &ext))
			break;
		switch (type) {
		case TA_TLS_EXT_SUPPORTED_VERSIONS:
			/* ServerHello form: the one selected_version */
			if (!sv_seen && rd_u16(&ext, &val)) {
				sh->version = val;
				sv_seen = 1;
			}
			break;
		case TA_TLS_EXT_KEY_SHARE:
			/* ServerHello: KeyShareEntry; HelloRetryRequest: just the
			 * selected group. Both start with the group. */
			if (!sh->has_group && rd_u16(&ext, &val)) {
				sh->group = val;
				sh->has_group = 1;
			}
			break;
		case TA_TLS_EXT_ALPN:
			if (!sh->alpn_len && rd_vec16(&ext, &v) && rd_vec8(&v, &name)) {
				sh->alpn_len = (uint8_t)name.len;
				memcpy(sh->alpn, name.p, name.len);
			}
			break;
		}
	}
out:
	/* without the whole extensions block we cannot rule out a
	 * supported_versions that would change the answer */
	sh->has_version = sv_seen || !r->cut;
}

static int printable(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\r' || c == '\n';
}

int ta_parse_server_hello(const uint8_t *buf, size_t len, struct ta_server_hello *out)
{
	struct hs_msg m;
	struct rd r;
	int malformed = 0;
	size_t i, n;

	memset(out, 0, sizeof(*out));
	if (!buf || !len)
		return out->kind = TA_TLS_UNKNOWN;

	if (buf[0] == TA_TLS_CT_HANDSHAKE) {
		if (hs_gather(buf, len, &m) < 0)
			return out->kind = TA_TLS_UNKNOWN;
		out->record_version = m.record_version;
		out->truncated = hs_short(&m);
		if (m.got < 1 || m.type != TA_TLS_HS_SERVER_HELLO)
			return out->kind = TA_TLS_UNKNOWN;
		out->kind = TA_TLS_ESTABLISHED;
		if (m.stream_bad && out->truncated)
			malformed = 1;
		r.p = m.buf + 4;
		r.len = m.body_len;
		r.off = 0;
		r.cut = out->truncated;
		r.malformed = &malformed;
		if (m.got >= 4)
			sh_body(&r, out);
		out->malformed = (uint8_t)malformed;
		return out->kind;
	}

	if (buf[0] == TA_TLS_CT_ALERT && (len < 2 || buf[1] == 3)) {
		out->kind = TA_TLS_ALERT;
		if (len >= 3)
			out->record_version = (uint16_t)(buf[1] << 8 | buf[2]);
		if (len < 7) {
			out->truncated = 1;
			return out->kind;
		}
		out->alert_level = buf[5];
		out->alert_desc = buf[6];
		out->has_alert = 1;
		/* a plaintext alert is exactly two bytes; anything else is an
		 * encrypted alert or not an alert, and the bytes mean nothing */
		if (buf[3] != 0 || buf[4] != 2) {
			out->malformed = 1;
			out->has_alert = 0;
		}
		return out->kind;
	}

	/* A server that does not speak TLS on this port often says so in text:
	 * "HTTP/1.1 400 Bad Request", an SMTP or SSH banner. Look at a prefix
	 * only, so a long answer with binary later on still counts. */
	n = len < 16 ? len : 16;
	for (i = 0; i < n; i++)
		if (!printable(buf[i]))
			return out->kind = TA_TLS_UNKNOWN;
	if (len < 2)
		return out->kind = TA_TLS_UNKNOWN;
	out->kind = TA_TLS_SERVER_PLAINTEXT;
	for (i = 0; i < len && i < TA_TLS_BANNER_MAX && buf[i] != '\r' && buf[i] != '\n'; i++)
		out->banner[i] = (char)buf[i];
	out->banner[i] = '\0';
	out->banner_len = (uint8_t)i;
	return out->kind;
}

/* The best version the client offers: supported_versions, else legacy. */
uint16_t ta_tls_highest_offered(const struct ta_client_hello *ch)
{
	uint16_t v = 0;
	unsigned int i;

	if (!ch->n_versions)
		return ch->legacy_version;
	for (i = 0; i < ch->n_versions; i++)
		if (ch->versions[i] > v)
			v = ch->versions[i];
	return v;
}
