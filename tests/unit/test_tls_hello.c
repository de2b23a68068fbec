// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_tls_hello.c - unit tests for the ClientHello/ServerHello parsers, the
 * JA4 fingerprint, SHA-256, the code point names and the JSON "tls" object
 * (user/tls_hello.h, user/sha256.h).
 *
 * Three kinds of evidence:
 * - the real handshakes in tests/fixtures/tls, checked against what tshark
 *   4.0 dissects from the same bytes (the tables below were generated from
 *   `tshark -T fields` output, and each JA4 from those fields by a separate
 *   script written from FoxIO's JA4.md);
 * - published JA4 vectors: JA4.md's worked example, FoxIO's sigalg-grease
 *   capture (python/test/testdata), and three real ClientHello byte strings
 *   with expected JA4/JA4_r from a third-party JA4 implementation's tests
 *   (one of them also matches Wireshark's built-in JA4 output for a Firefox
 *   hello with the same lists);
 * - hand-built hostile and edge-case inputs, every prefix of every fixture,
 *   and a fixed-seed mutation sweep (run it under ASan/UBSan to mean much).
 *
 * Run from the repository root, or set FIXTURE_DIR at build time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls/sha256.h"
#include "output/strbuf.h"
#include "tls/hello.h"
#include "tls/ja4.h"
#include "tls/json.h"
#include "tls/names.h"
#include "ta_test.h"

#ifndef FIXTURE_DIR
#define FIXTURE_DIR "tests/fixtures/tls"
#endif

#define FIXTURE_MAX 65536
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- what tshark says about the fixtures ---- */

struct ch_fact {
	const char *name;
	unsigned int n_ciphers, n_exts, n_versions, n_groups, n_key_shares, n_sigalgs;
	uint16_t ciphers[64], exts[32], versions[8], groups[16], key_shares[4];
	const char *ja4, *ja4_r;
};

/* Generated from tshark -T fields (ciphersuite, extension.type,
 * supported_version, supported_group, key_share_group) and the JA4 oracle. */
static const struct ch_fact ch_facts[] = {
	{
		.name = "curl-tls12",
		.n_ciphers = 28,
		.ciphers = {
			0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b, 0xc02f,
			0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a,
			0xc014, 0x0039, 0xc009, 0xc013, 0x0033, 0x009d, 0x009c, 0x003d,
			0x003c, 0x0035, 0x002f, 0x00ff,
		},
		.n_exts = 7,
		.exts = {
			0x0000, 0x000b, 0x000a, 0x0010, 0x0016, 0x0017, 0x000d,
		},
		.n_versions = 0,
		.versions = { 0 },
		.n_groups = 5,
		.groups = { 0x001d, 0x0017, 0x001e, 0x0019, 0x0018 },
		.n_key_shares = 0,
		.key_shares = { 0 },
		.n_sigalgs = 20,
		.ja4 = "t12d2807h2_d943125447b4_a44c6288192a",
		.ja4_r =
			"t12d2807h2_002f,0033,0035,0039,003c,003d,0067,006b,009c,009d,009e,009f,0"
			"0ff,c009,c00a,c013,c014,c023,c024,c027,c028,c02b,c02c,c02f,c030,cca8,cca"
			"9,ccaa_000a,000b,000d,0016,0017_0403,0503,0603,0807,0808,0809,080a,080b,"
			"0804,0805,0806,0401,0501,0601,0303,0301,0302,0402,0502,0602",
	},
	{
		.name = "curl-tls13",
		.n_ciphers = 4,
		.ciphers = { 0x1302, 0x1303, 0x1301, 0x00ff },
		.n_exts = 11,
		.exts = {
			0x0000, 0x000b, 0x000a, 0x0010, 0x0016, 0x0017, 0x0031, 0x000d,
			0x002b, 0x002d, 0x0033,
		},
		.n_versions = 1,
		.versions = { 0x0304 },
		.n_groups = 10,
		.groups = {
			0x001d, 0x0017, 0x001e, 0x0019, 0x0018, 0x0100, 0x0101, 0x0102,
			0x0103, 0x0104,
		},
		.n_key_shares = 1,
		.key_shares = { 0x001d },
		.n_sigalgs = 14,
		.ja4 = "t13d0411h2_16476d049b0b_303c7117418d",
		.ja4_r =
			"t13d0411h2_00ff,1301,1302,1303_000a,000b,000d,0016,0017,002b,002d,0031,0"
			"033_0403,0503,0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,060"
			"1",
	},
	{
		.name = "openssl-tls12",
		.n_ciphers = 28,
		.ciphers = {
			0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b, 0xc02f,
			0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a,
			0xc014, 0x0039, 0xc009, 0xc013, 0x0033, 0x009d, 0x009c, 0x003d,
			0x003c, 0x0035, 0x002f, 0x00ff,
		},
		.n_exts = 8,
		.exts = {
			0x0000, 0x000b, 0x000a, 0x0023, 0x0010, 0x0016, 0x0017, 0x000d,
		},
		.n_versions = 0,
		.versions = { 0 },
		.n_groups = 5,
		.groups = { 0x001d, 0x0017, 0x001e, 0x0019, 0x0018 },
		.n_key_shares = 0,
		.key_shares = { 0 },
		.n_sigalgs = 20,
		.ja4 = "t12d2808h2_d943125447b4_e7e480e5a997",
		.ja4_r =
			"t12d2808h2_002f,0033,0035,0039,003c,003d,0067,006b,009c,009d,009e,009f,0"
			"0ff,c009,c00a,c013,c014,c023,c024,c027,c028,c02b,c02c,c02f,c030,cca8,cca"
			"9,ccaa_000a,000b,000d,0016,0017,0023_0403,0503,0603,0807,0808,0809,080a,"
			"080b,0804,0805,0806,0401,0501,0601,0303,0301,0302,0402,0502,0602",
	},
	{
		.name = "openssl-tls13",
		.n_ciphers = 4,
		.ciphers = { 0x1302, 0x1303, 0x1301, 0x00ff },
		.n_exts = 11,
		.exts = {
			0x0000, 0x000b, 0x000a, 0x0023, 0x0010, 0x0016, 0x0017, 0x000d,
			0x002b, 0x002d, 0x0033,
		},
		.n_versions = 1,
		.versions = { 0x0304 },
		.n_groups = 10,
		.groups = {
			0x001d, 0x0017, 0x001e, 0x0019, 0x0018, 0x0100, 0x0101, 0x0102,
			0x0103, 0x0104,
		},
		.n_key_shares = 1,
		.key_shares = { 0x001d },
		.n_sigalgs = 14,
		.ja4 = "t13d0411h2_16476d049b0b_78f1d400d464",
		.ja4_r =
			"t13d0411h2_00ff,1301,1302,1303_000a,000b,000d,0016,0017,0023,002b,002d,0"
			"033_0403,0503,0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,060"
			"1",
	},
	{
		.name = "python",
		.n_ciphers = 31,
		.ciphers = {
			0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8,
			0xccaa, 0xc02b, 0xc02f, 0x009e, 0xc024, 0xc028, 0x006b, 0xc023,
			0xc027, 0x0067, 0xc00a, 0xc014, 0x0039, 0xc009, 0xc013, 0x0033,
			0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff,
		},
		.n_exts = 12,
		.exts = {
			0x0000, 0x000b, 0x000a, 0x0023, 0x0010, 0x0016, 0x0017, 0x000d,
			0x002b, 0x002d, 0x0033, 0x0015,
		},
		.n_versions = 4,
		.versions = { 0x0304, 0x0303, 0x0302, 0x0301 },
		.n_groups = 10,
		.groups = {
			0x001d, 0x0017, 0x001e, 0x0019, 0x0018, 0x0100, 0x0101, 0x0102,
			0x0103, 0x0104,
		},
		.n_key_shares = 1,
		.key_shares = { 0x001d },
		.n_sigalgs = 20,
		.ja4 = "t13d3112h2_e8f1e7e78f70_d41ae481755e",
		.ja4_r =
			"t13d3112h2_002f,0033,0035,0039,003c,003d,0067,006b,009c,009d,009e,009f,0"
			"0ff,1301,1302,1303,c009,c00a,c013,c014,c023,c024,c027,c028,c02b,c02c,c02"
			"f,c030,cca8,cca9,ccaa_000a,000b,000d,0015,0016,0017,0023,002b,002d,0033_"
			"0403,0503,0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601,03"
			"03,0301,0302,0402,0502,0602",
	},
	{
		.name = "gnutls",
		.n_ciphers = 29,
		.ciphers = {
			0x1302, 0x1303, 0x1301, 0x1304, 0xc02c, 0xcca9, 0xc0ad, 0xc00a,
			0xc02b, 0xc0ac, 0xc009, 0xc030, 0xcca8, 0xc014, 0xc02f, 0xc013,
			0x009d, 0xc09d, 0x0035, 0x009c, 0xc09c, 0x002f, 0x009f, 0xccaa,
			0xc09f, 0x0039, 0x009e, 0xc09e, 0x0033,
		},
		.n_exts = 14,
		.exts = {
			0x0005, 0x000a, 0x000b, 0x000d, 0x0010, 0x0016, 0x0017, 0x0023,
			0x0033, 0x002b, 0xff01, 0x0000, 0x002d, 0x001c,
		},
		.n_versions = 4,
		.versions = { 0x0304, 0x0303, 0x0302, 0x0301 },
		.n_groups = 10,
		.groups = {
			0x0017, 0x0018, 0x0019, 0x001d, 0x001e, 0x0100, 0x0101, 0x0102,
			0x0103, 0x0104,
		},
		.n_key_shares = 2,
		.key_shares = { 0x0017, 0x001d },
		.n_sigalgs = 16,
		.ja4 = "t13d2914h2_723694b0fccc_2cc26d266019",
		.ja4_r =
			"t13d2914h2_002f,0033,0035,0039,009c,009d,009e,009f,1301,1302,1303,1304,c"
			"009,c00a,c013,c014,c02b,c02c,c02f,c030,c09c,c09d,c09e,c09f,c0ac,c0ad,cca"
			"8,cca9,ccaa_0005,000a,000b,000d,0016,0017,001c,0023,002b,002d,0033,ff01_"
			"0401,0809,0804,0403,0807,0501,080a,0805,0503,0808,0601,080b,0806,0603,02"
			"01,0203",
	},
};

/* ServerHello facts, from tshark: supported_version when present, else the
 * legacy version; ciphersuite; key_share group; ALPN when not encrypted. */
static const struct sh_fact {
	const char *name;
	uint16_t version, cipher, group;
	const char *alpn;
} sh_facts[] = {
	{ "curl-tls12", 0x0303, 0xc030, 0, "http/1.1" },
	{ "curl-tls13", 0x0304, 0x1302, 0x001d, NULL },
	{ "openssl-tls12", 0x0303, 0xc030, 0, "http/1.1" },
	{ "openssl-tls13", 0x0304, 0x1302, 0x001d, NULL },
	{ "python", 0x0304, 0x1302, 0x001d, NULL },
	{ "gnutls", 0x0304, 0x1302, 0x0017, NULL },
};

/* ClientHello handshake messages (no record header) with their expected JA4
 * and JA4_r, from a third-party JA4 implementation's unit tests. v1 is a
 * Firefox hello (ECH, delegated_credentials: its sigalgs must not leak into
 * JA4), v2 a hello with an X25519MLKEM768 key share, v3 a TLS 1.3 hello with
 * no ALPN. All three also agree with our tshark-based oracle. */
static const char vec1_hex[] =
	"010002880303b1454f846bd902745d988d870726ef0c313ce90f17984d51557964c3e606fa91200b"
	"509f238e6769dd3ad25fe6ed13020e3f7b64738a226fc0158ef2b59ba19b2c0022130113031302c0"
	"2bc02fcca9cca8c02cc030c00ac009c013c014009c009d002f00350100021d0000000e000c000009"
	"6a613464622e636f6d00170000ff01000100000a000e000c001d00170018001901000101000b0002"
	"0100002300000010000e000c02683208687474702f312e310005000501000000000022000a000804"
	"030503060302030033006b0069001d0020cb5494b8b6fffd904f2c18eecc978ae6ef7c9c89d34749"
	"8dae1b66799176554900170041040bbdc463c55494edca30649e6c48e51261c4d61843e7cf607fff"
	"ddca1d7cf7d8ae69ced9796f6403565655906bbcd7dffc103db95889d5d6774114b6793c4132002b"
	"00050403040303000d0018001604030503060308040805080604010501060102030201002d000201"
	"01001c00024001fe0d01190000010003d10020b8cdfd2a9b9924e45471c4ebb24514d71a231a49d8"
	"d314fbcb75af0214a2e67c00efd356cf2704ea9bb5e85579856bf473cb9b5ae1657b33929c86f5ee"
	"4b57cafcac74ecb8fe201f5d9e883efdd391395639d9e42eafa8eae467601838c23c3e239907da1a"
	"6983f4e966e4990ff13f74e0159fe37d60535b76d308caea1e114170ce3e3fd67c14a2f5e3e8fe54"
	"0895e3d6a66fec86e88d2e403f9ff299681748c664572a7e889fe274ec142b2f5eb9445142c16dd9"
	"8034f92d47be96ead6b030536ca37506cc44c94fd7d1f1b2178b71d5fc5e5339b1c91cf9db67c820"
	"99a0f0168ce228947c600a1cd48ee9d9b481c87f052999431bd4b91d2aac4a7dab3090578a64087a"
	"3d7cd9c603c6e75c7d878f9d";
static const char vec2_hex[] =
	"010009840303e4b7a5b2fad5e8737ea991ab7c256c0a9aca8f9873f9ca6ee6cb9bb81eabe288203e"
	"f59a4c461b0376f49d2ed9557ae6f08a54e37beee7b11f05d06b2341ecce560022130113031302c0"
	"2bc02fcca9cca8c02cc030c00ac009c013c014009c009d002f0035010009190000000e000c000009"
	"6a613464622e636f6d00170000ff01000100000a0010000e11ec001d00170018001901000101000b"
	"000201000010000e000c02683208687474702f312e310005000501000000000022000a0008040305"
	"03060302030033052f052d11ec04c00f5b70c1db0eaee679d515437372a4beacae7447c7f43332d6"
	"010ff69b2f2284b9aa64ba81463b8e0c2a9b8c635d648972dc8d5bda536e785055a228feb90e130b"
	"cbae98b961e993284222702864ff6676abe8b904a1458628373c29cb9f50abf1d84692f6315d9468"
	"534416d9fb78e4463d1b765fc5952c06a69d3e9249d8c52e0503bd5e8846b5fba8cad43d53638d5c"
	"b2b3a267cefcd0649fa4cf043872e05781dbdb67b5e4845d881d3a27244ce80757b53181909b99a5"
	"a07d29b81b92300566c9f7275f3df50863d3223f1950155968156b4f89c55fa2513cffe500782309"
	"3d1b1ef1b61428681f5aeb5d5343b583a6463a72350f2258d085c5b2c7b1d0d4863c378d58b9370d"
	"27b90860466cc578652910028774b0108fec29c12022c926aaabf422a76407997572b6f04a4f3cb6"
	"b44d3349f022c52cc79e835848f79a4b624caddee46677f98b01da4ea64778042763856b8a1bebab"
	"e28b96bcb90058f10a12c9669f083c84e7a22ad1aab9e100dd65779c80417422c0c9495f3ad27fee"
	"836fd34bb861234be6d5977195a66b13197f9370c983870f62356bc640385070672689d178258ac9"
	"585d0baa02b38d55075b3f76360cf4c7c3430178a0a204732f72f639d6820eac408015c43a9bbcb7"
	"af3454bd8a4362264b9fa62c97d23781384e02f660a35bb2b28142f99bb4af6b39fc4ba76e168685"
	"441432d03d1c688406b5941dcc3c08a361b0a12e0a4ba2996a9795753478b5051d23301ea959defc"
	"0995dc5ccbe90ade9195f798625c4c3582e350e1567df0805bc662aff3a69e4bf3051d3b4088216e"
	"43782e556179099611a237cf1c688a86b0078c37843101b4c3d536d9971e8b7656209026e0571c78"
	"abb1fe3420b1b1a6efb16e4e7730c289a1e18b4ee9d09a34aa007e626586b36f7f990608c4371515"
	"8f56b88a6c401b663801ca86a34af365b615c21a7a6fe3a30295b1091c2c80a8a10c7b766da4aa9e"
	"ae206a1ee7ab4f0b5f646562e977b232e14e6d320255f6c0ea332b7851039dacc78490a8a2f83f9f"
	"98ac0e231137d48d38f1395d115097dc8ca6ba416c4933c35bbe17196584f176f05aa113e88af077"
	"c144928aa3c54f56e692221c97b6485aff043b7d3660702c84230c2ce9070df0ea0d84ab05acb664"
	"ba07033246bcdd13ab3aa0becdd23424c43d4bdb8e9fa5c611318645123d84d273134894699b0627"
	"f1afa31705496298287007f132939bd06478e48a8ac339ccb52373547a4250c429880f5fa09c7392"
	"21a360768d9668380368f6924590a89373e158210a061f8884b7aa3cff2c0d187a20f2ac4d54da69"
	"99204744c29ee2b6108798ab11493828027caf2954b718a1e9470e7595ad0e842218c4640442c6ed"
	"991df374b1823680da19b29aba5a242531d2f17043b834d3392b8ce8a6bd9815060696f5a5aa7c51"
	"603c537470e17533747e33261809671665c3b169dc67e4aa243f1b30a2848b3a465f463417e6a0ac"
	"0e157ac4971c396518b64accffd1689c635d63bba8fda97be6c4a77b86000c3c86604a293c9b29e3"
	"e6106915773368b7049a6eec5776c436afcd2679d4064fe73cc06b5ba2ea84007028b3f782569d03"
	"c698b72c48a378fa9ad51e90797f7c42b4fd36cabf922d5d183ec9d023bff783a98ab2c2fdd7ecbe"
	"c4d78b849e86db163239e49577f28caea4f815b2c91e20e591c0580c8b1219001d0020bec4d78b84"
	"9e86db163239e49577f28caea4f815b2c91e20e591c0580c8b121900170041047c37d6980423043f"
	"9a7cd9c3031cc29ad85a1f400513548408b97120100f6c325b6639712f15662407b0bbbc30bc9b2c"
	"2880c552de246382d8286ecdec22b524002b00050403040303000d00180016040305030603080408"
	"05080604010501060102030201002d00020101001c00024001001b000706000100020003fe0d0239"
	"0000010001020020818e96714cc481c796f279e613f885f6c0d031af210b18f1f184b6c1f8cf42c4"
	"020f663a7ebc5da0bf21861a452f6d328326323d3ea5f23b8e10eb9c919b5157d2be0c50a5a763b4"
	"e7679c806ba68855be8bd737090fd822dd8db47ea9b88990c8ce848fe6c69a2957788c7d01effff3"
	"a2237a47835b75b3061f8f4150877cb9c0f0f755fa7cf96a6d37486c0b8af92287b920fdfe14e2fe"
	"33013097992f45a17c495eaa9f3cae1650f488d8193f29507d1cec577393c9a8ecc3f3787885b7f1"
	"e02f6e8f976a4aee2be93a309b0f6f57c14b2f549403aeaa649cb5a93ae7b2ff4a1f6a72379e0f45"
	"592c76a5f09f14b522307455aed046a809745235f0c3aea27f4115395506a0f93e9326fa996351ab"
	"58e58fdb18b92d40e6ab6735bd2e8fa2149080bd770a6c7ab383615b3283ef607090c10c2cb2361d"
	"e69be65e15ee7b211085e649c75fe05c8353a205a6af2ac95627d12d185b4f6af03e68c2b2999660"
	"0e55e26027c32b626c2555c4a6b92cc1c1f86acd2fa633079fc5286407c3c47af2dbc07e13c3786f"
	"fdc4a2cf71767f78152bbeb396018400735ab795935dfca83dca7d04a03eb4dc97a5d3d14a411b3c"
	"08da3791a40f16c74c6f4f4ef5a5eff2c7a91ef2d693137bf3fc961ab5be08ac849eeb0d2db18a31"
	"0061cf31d9a355f1d7fa50aee68d3dc18fe4ce9d8edd71fb78aede3320716d57d37a2eab304ba73b"
	"a8318405356ccdf3bd5c379e1fbd4a7daba388adcd95795e82c6f5d0d201758aa4a5727584d92bd9"
	"1610e8c7133e996cb10029010b00e600e0dc79959a1b80840503d9d542d170081f174e6454332b37"
	"2f880d0dc42eac42d340accc5f7004bfc65db7a9dcd83a246d2888f9946e8601d453a784ca53eff7"
	"3aeadfe3d0a79c3afb274f40b973de59edd48d4563b9b9205b406b138b24fd29ec844aae8df49974"
	"820d2e036552dc8a13497378db514c2f807440c31cf7cb033b2a57077b533539a3a31a100d22b478"
	"6e833f178383882119d79943141b47dd3a5a17a87f2415a24a9123206bdc938d917c8a6ba86d5ee9"
	"61fb1704477aba9b0f38edff7573a5ee7409de95665281d3f263f39de2f48846d8497dd8e9f8a8ed"
	"823039523900212012289d3ec9f11f84fc928eaa749c11961872f395478fd189d70bb86a2085dddb";
static const char vec3_hex[] =
	"010001fc0303e4422635180a6d52305577414519930d2eb4b714ecbaffc7aa4ef762421df37920a8"
	"9626d7567923c523a5255cfc150232e8491a92f4d85e848d5f8432baf6d273003e130213031301c0"
	"2cc030009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c01300"
	"33009d009c003d003c0035002f00ff010001750000001c001a00001772656d6f74652e7069786965"
	"647573742e6f6e6c696e65000b000403000102000a000c000a001d0017001e001900180023000000"
	"1600000017000000310000000d002a0028040305030603080708080809080a080b08040805080604"
	"0105010601030303010302040205020602002b00050403040303002d00020101003300260024001d"
	"0020d8a1f885af25dd99f2c6a123fae44fadc43bc5d9c123e0ec0fbbdc0a90a6b24e001500c20000"
	"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000";

static const struct {
	const char *hex, *ja4, *ja4_r;
} vectors[] = {
	{ vec1_hex, "t13d1715h2_5b57614c22b0_5c2c66f702b0",
	  "t13d1715h2_002f,0035,009c,009d,1301,1302,1303,c009,c00a,c013,c014,c02b,c02c,c02f,"
	  "c030,cca8,cca9_0005,000a,000b,000d,0017,001c,0022,0023,002b,002d,0033,fe0d,ff01_"
	  "0403,0503,0603,0804,0805,0806,0401,0501,0601,0203,0201" },
	{ vec2_hex, "t13d1716h2_5b57614c22b0_bdfeeec9ffef",
	  "t13d1716h2_002f,0035,009c,009d,1301,1302,1303,c009,c00a,c013,c014,c02b,c02c,c02f,"
	  "c030,cca8,cca9_0005,000a,000b,000d,0017,001b,001c,0022,0029,002b,002d,0033,fe0d,"
	  "ff01_0403,0503,0603,0804,0805,0806,0401,0501,0601,0203,0201" },
	{ vec3_hex, "t13d311200_e8f1e7e78f70_d339722ba4af",
	  "t13d311200_002f,0033,0035,0039,003c,003d,0067,006b,009c,009d,009e,009f,00ff,1301,"
	  "1302,1303,c009,c00a,c013,c014,c023,c024,c027,c028,c02b,c02c,c02f,c030,cca8,cca9,"
	  "ccaa_000a,000b,000d,0015,0016,0017,0023,002b,002d,0031,0033_0403,0503,0603,0807,"
	  "0808,0809,080a,080b,0804,0805,0806,0401,0501,0601,0303,0301,0302,0402,0502,0602" },
};

/* ---- helpers ---- */

static long load_fixture(const char *name, const char *kind, uint8_t *buf, size_t cap)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s.%s.bin", FIXTURE_DIR, name, kind);
	f = fopen(path, "rb");
	if (!f) {
		TA_CHECK(0, "cannot open %s", path);
		return -1;
	}
	n = fread(buf, 1, cap, f);
	fclose(f);
	return (long)n;
}

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (; hex[0] && hex[1] && n < cap; hex += 2) {
		unsigned int v;

		if (sscanf(hex, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* Copy a handshake message into records whose fragments have the given
 * sizes; the last record takes whatever is left. Returns the stream length. */
static size_t wrap(const uint8_t *hs, size_t n, const size_t *frag, int nfrag, uint8_t *out)
{
	size_t pos = 0, o = 0;
	int i;

	for (i = 0; pos < n || i == 0; i++) {
		size_t take = i < nfrag && frag[i] < n - pos ? frag[i] : n - pos;

		out[o++] = TA_TLS_CT_HANDSHAKE;
		out[o++] = 3;
		out[o++] = 1;
		out[o++] = (uint8_t)(take >> 8);
		out[o++] = (uint8_t)take;
		memcpy(out + o, hs + pos, take);
		o += take;
		pos += take;
	}
	return o;
}

static size_t wrap1(const uint8_t *hs, size_t n, uint8_t *out)
{
	return wrap(hs, n, NULL, 0, out);
}

static int contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

/* A byte-string builder with nested length prefixes, for hand-made hellos. */
#define BLD_CAP (80 * 1024)
struct bld {
	uint8_t b[BLD_CAP];
	size_t n;
	size_t at[8];
	int w[8];
	int depth;
};

static void b_u8(struct bld *b, unsigned int v)
{
	if (b->n < BLD_CAP)
		b->b[b->n++] = (uint8_t)v;
}

static void b_u16(struct bld *b, unsigned int v)
{
	b_u8(b, v >> 8);
	b_u8(b, v);
}

static void b_mem(struct bld *b, const void *p, size_t n)
{
	const uint8_t *s = p;

	while (n--)
		b_u8(b, *s++);
}

static void b_fill(struct bld *b, unsigned int c, size_t n)
{
	while (n--)
		b_u8(b, c);
}

/* Start a vector with a width-byte length, patched by b_close. */
static void b_open(struct bld *b, int width)
{
	b->at[b->depth] = b->n;
	b->w[b->depth++] = width;
	b_fill(b, 0, (size_t)width);
}

static void b_close(struct bld *b)
{
	size_t at, len;
	int w, i;

	b->depth--;
	at = b->at[b->depth];
	w = b->w[b->depth];
	len = b->n - at - (size_t)w;
	for (i = w - 1; i >= 0; i--, len >>= 8)
		b->b[at + (size_t)i] = (uint8_t)len;
}

/* ClientHello header up to the opened extensions block. */
static void ch_begin(struct bld *b, uint16_t legacy, const uint16_t *ciphers, size_t nc)
{
	size_t i;

	b->n = 0;
	b->depth = 0;
	b_u8(b, TA_TLS_HS_CLIENT_HELLO);
	b_open(b, 3);
	b_u16(b, legacy);
	b_fill(b, 0x11, 32); /* random */
	b_u8(b, 32);
	b_fill(b, 0x22, 32); /* session id */
	b_open(b, 2);
	for (i = 0; i < nc; i++)
		b_u16(b, ciphers[i]);
	b_close(b);
	b_u8(b, 1);
	b_u8(b, 0); /* compression: null */
	b_open(b, 2);
}

static void ch_end(struct bld *b)
{
	b_close(b); /* extensions */
	b_close(b); /* handshake body */
}

static void ext_raw(struct bld *b, uint16_t type, const void *data, size_t n)
{
	b_u16(b, type);
	b_u16(b, (unsigned int)n);
	b_mem(b, data, n);
}

static void ext_sni(struct bld *b, const char *name, size_t n)
{
	b_u16(b, TA_TLS_EXT_SERVER_NAME);
	b_open(b, 2);
	b_open(b, 2);
	b_u8(b, 0);
	b_u16(b, (unsigned int)n);
	b_mem(b, name, n);
	b_close(b);
	b_close(b);
}

/* ALPN from length-prefixed entries: each string's first byte is its length */
static void ext_alpn(struct bld *b, const char *const *names, size_t n)
{
	size_t i;

	b_u16(b, TA_TLS_EXT_ALPN);
	b_open(b, 2);
	b_open(b, 2);
	for (i = 0; i < n; i++)
		b_mem(b, names[i], (size_t)(uint8_t)names[i][0] + 1);
	b_close(b);
	b_close(b);
}

/* supported_groups, signature_algorithms: a u16 list with a 2-byte length */
static void ext_list16(struct bld *b, uint16_t type, const uint16_t *v, size_t n)
{
	size_t i;

	b_u16(b, type);
	b_open(b, 2);
	b_open(b, 2);
	for (i = 0; i < n; i++)
		b_u16(b, v[i]);
	b_close(b);
	b_close(b);
}

static void ext_versions(struct bld *b, const uint16_t *v, size_t n)
{
	size_t i;

	b_u16(b, TA_TLS_EXT_SUPPORTED_VERSIONS);
	b_open(b, 2);
	b_open(b, 1);
	for (i = 0; i < n; i++)
		b_u16(b, v[i]);
	b_close(b);
	b_close(b);
}

static void ext_key_share(struct bld *b, const uint16_t *groups, const uint16_t *lens, size_t n)
{
	size_t i;

	b_u16(b, TA_TLS_EXT_KEY_SHARE);
	b_open(b, 2);
	b_open(b, 2);
	for (i = 0; i < n; i++) {
		b_u16(b, groups[i]);
		b_u16(b, lens[i]);
		b_fill(b, 0x5a, lens[i]);
	}
	b_close(b);
	b_close(b);
}

static struct bld B; /* large: static, reused by the cases one at a time */
static uint8_t stream[BLD_CAP + 1024];

/* Parse B (a handshake message) wrapped into a single record. */
static int parse_b(struct ta_client_hello *ch)
{
	size_t n = wrap1(B.b, B.n, stream);

	return ta_parse_client_hello(stream, n, ch);
}

static void json_of(const struct ta_client_hello *ch, const struct ta_server_hello *sh, char *buf,
		    size_t cap)
{
	struct strbuf sb;

	sb_init(&sb, buf, cap);
	ta_tls_json(&sb, ch, sh);
}

/* The JA4.md example lists, in their original order. */
static const uint16_t spec_ciphers[] = {
	0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
	0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
};
static const uint16_t spec_sigalgs[] = {
	0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
};

static void sha_hex(const char *s, char out[65])
{
	static const char hx[] = "0123456789abcdef";
	uint8_t d[TA_SHA256_LEN];
	int i;

	ta_sha256(s, strlen(s), d);
	for (i = 0; i < 32; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[64] = '\0';
}

/* ---- cases ---- */

static void test_sha256(void)
{
	static const struct {
		const char *in, *want;
	} v[] = {
		/* FIPS 180-4 examples (NIST CSRC), and JA4.md's own hashes */
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_"
		  "0403,0804,0401,0503,0805,0501,0806,0601",
		  "e5627efa2ab19723084c1033a96c694a45826ab5a460d2d3fd5ffcfe97161c95" },
	};
	struct ta_sha256 c;
	uint8_t d[TA_SHA256_LEN];
	char hex[65];
	size_t i;

	ta_case_begin("sha256: FIPS 180-4 and JA4.md vectors");
	for (i = 0; i < ARRAY_SIZE(v); i++) {
		sha_hex(v[i].in, hex);
		TA_CHECK(!strcmp(hex, v[i].want), "sha256(\"%.20s...\") = %s, want %s", v[i].in,
			 hex, v[i].want);
	}
	/* one million 'a', fed in uneven pieces to cross block boundaries */
	{
		static char a[1000];
		static const uint8_t want[8] = { 0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92 };

		memset(a, 'a', sizeof(a));
		ta_sha256_init(&c);
		for (i = 0; i < 1000000;) {
			size_t k = 1 + (i * 7) % 997;

			if (k > 1000000 - i)
				k = 1000000 - i;
			ta_sha256_update(&c, a, k);
			i += k;
		}
		ta_sha256_final(&c, d);
		TA_CHECK(!memcmp(d, want, sizeof(want)), "sha256(1M x 'a') wrong");
	}
	/* JA4.md: the sorted cipher list and the no-sigalgs extension list */
	sha_hex("002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9", hex);
	TA_CHECK(!strncmp(hex, "8daaf6152771", 12), "cipher hash %.12s", hex);
	sha_hex("0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01", hex);
	TA_CHECK(!strncmp(hex, "6d807ffa2a79", 12), "ext hash %.12s", hex);
	/* RFC 8446 4.1.3: the HelloRetryRequest random is SHA-256 of this */
	sha_hex("HelloRetryRequest", hex);
	TA_CHECK(!strcmp(hex, "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c"),
		 "HRR magic %s", hex);
	ta_case_end();
}

static void test_grease_and_names(void)
{
	unsigned int v, n = 0;

	ta_case_begin("grease predicate and IANA names");
	for (v = 0; v <= 0xffff; v++)
		n += (unsigned int)ta_tls_is_grease((uint16_t)v);
	TA_CHECK_EQ(n, 16);
	TA_CHECK(ta_tls_is_grease(0x0a0a) && ta_tls_is_grease(0xfafa) && !ta_tls_is_grease(0x0a1a),
		 "grease values");
	TA_CHECK(!strcmp(ta_tls_version_name(0x0304), "1.3"), "1.3");
	TA_CHECK(!strcmp(ta_tls_version_name(0x0303), "1.2"), "1.2");
	TA_CHECK(!strcmp(ta_tls_version_name(0x0302), "1.1"), "1.1");
	TA_CHECK(!strcmp(ta_tls_version_name(0x0301), "1.0"), "1.0");
	TA_CHECK(!strcmp(ta_tls_version_name(0x0300), "ssl3.0"), "ssl3.0");
	TA_CHECK(!ta_tls_version_name(0x7f1c), "draft version has no name");
	TA_CHECK(!strcmp(ta_cipher_name(0x1302), "TLS_AES_256_GCM_SHA384"), "0x1302");
	TA_CHECK(!strcmp(ta_cipher_name(0xc030), "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
		 "0xc030");
	TA_CHECK(!strcmp(ta_cipher_name(0xcca9), "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
		 "0xcca9");
	TA_CHECK(!strcmp(ta_cipher_name(0x000a), "TLS_RSA_WITH_3DES_EDE_CBC_SHA"), "0x000a");
	TA_CHECK(!ta_cipher_name(0x1234), "unknown cipher");
	TA_CHECK(!strcmp(ta_group_name(0x001d), "x25519"), "x25519");
	TA_CHECK(!strcmp(ta_group_name(0x0017), "secp256r1"), "secp256r1");
	TA_CHECK(!strcmp(ta_group_name(0x0101), "ffdhe3072"), "ffdhe3072");
	TA_CHECK(!strcmp(ta_group_name(0x11ec), "X25519MLKEM768"), "X25519MLKEM768");
	TA_CHECK(!ta_group_name(0x4242), "unknown group");
	TA_CHECK(!strcmp(ta_alert_name(40), "handshake_failure"), "alert 40");
	TA_CHECK(!strcmp(ta_alert_name(70), "protocol_version"), "alert 70");
	TA_CHECK(!strcmp(ta_alert_name(112), "unrecognized_name"), "alert 112");
	TA_CHECK(!ta_alert_name(200), "unknown alert");
	TA_CHECK(!strcmp(ta_tls_answer_name(TA_TLS_SERVER_PLAINTEXT), "server_plaintext"), "kind");
	TA_CHECK(!strcmp(ta_tls_answer_name(99), "unknown"), "kind out of range");
	/* PQ: IANA TLS Supported Groups (ML-KEM, hybrids) and the Kyber drafts */
	TA_CHECK(ta_tls_group_is_pq(0x11ec) && ta_tls_group_is_pq(0x11eb) &&
			 ta_tls_group_is_pq(0x11ed) && ta_tls_group_is_pq(0x6399) &&
			 ta_tls_group_is_pq(0x0200) && ta_tls_group_is_pq(0x0201) &&
			 ta_tls_group_is_pq(0x0202),
		 "pq groups");
	TA_CHECK(!ta_tls_group_is_pq(0x001d) && !ta_tls_group_is_pq(0x0017) &&
			 !ta_tls_group_is_pq(0x0100),
		 "classic groups are not pq");
	ta_case_end();
}

static int u16_eq(const uint16_t *a, const uint16_t *b, unsigned int n)
{
	return !memcmp(a, b, n * sizeof(*a));
}

static void test_fixture_client(const struct ch_fact *f)
{
	static uint8_t buf[FIXTURE_MAX];
	struct ta_client_hello ch;
	char name[96], ja4[64], raw[4096];
	long n;

	snprintf(name, sizeof(name), "client hello %s matches tshark", f->name);
	ta_case_begin(name);
	n = load_fixture(f->name, "clienthello", buf, sizeof(buf));
	if (n < 0) {
		ta_case_end();
		return;
	}
	TA_CHECK_EQ(ta_parse_client_hello(buf, (size_t)n, &ch), 0);
	TA_CHECK_EQ(ch.truncated, 0);
	TA_CHECK_EQ(ch.malformed, 0);
	TA_CHECK_EQ(ch.overflow, 0);
	TA_CHECK_EQ(ch.record_version, 0x0301);
	TA_CHECK_EQ(ch.legacy_version, 0x0303);
	TA_CHECK_EQ(ch.handshake_len, (unsigned long)n - 9);
	TA_CHECK(ch.sni_present && ch.sni_len == 8 && !memcmp(ch.sni, "srv.test", 8), "sni '%s'",
		 ch.sni);
	TA_CHECK(ch.alpn_present && ch.n_alpn == 2, "n_alpn %u", ch.n_alpn);
	TA_CHECK(ch.alpn[0].len == 2 && !memcmp(ch.alpn[0].name, "h2", 2), "alpn[0]");
	TA_CHECK(ch.alpn[1].len == 8 && !memcmp(ch.alpn[1].name, "http/1.1", 8), "alpn[1]");
	TA_CHECK_EQ(ch.n_ciphers, f->n_ciphers);
	TA_CHECK(u16_eq(ch.ciphers, f->ciphers, f->n_ciphers), "cipher list differs");
	TA_CHECK_EQ(ch.n_exts, f->n_exts);
	TA_CHECK(u16_eq(ch.exts, f->exts, f->n_exts), "extension list differs");
	TA_CHECK_EQ(ch.n_versions, f->n_versions);
	TA_CHECK(u16_eq(ch.versions, f->versions, f->n_versions), "versions differ");
	TA_CHECK_EQ(ch.n_groups, f->n_groups);
	TA_CHECK(u16_eq(ch.groups, f->groups, f->n_groups), "groups differ");
	TA_CHECK_EQ(ch.n_key_shares, f->n_key_shares);
	TA_CHECK(u16_eq(ch.key_shares, f->key_shares, f->n_key_shares), "key shares differ");
	TA_CHECK_EQ(ch.n_sigalgs, f->n_sigalgs);
	TA_CHECK_EQ(ch.ech, 0);
	TA_CHECK_EQ(ch.pq, 0);
	TA_CHECK_EQ(ch.n_grease, 0);
	ta_ja4(&ch, 0, ja4);
	TA_CHECK(!strcmp(ja4, f->ja4), "ja4 %s, want %s", ja4, f->ja4);
	TA_CHECK_EQ(ta_ja4_raw(&ch, 0, raw, sizeof(raw)), strlen(f->ja4_r));
	TA_CHECK(!strcmp(raw, f->ja4_r), "ja4_r %s\n want %s", raw, f->ja4_r);
	ta_case_end();
}

static void test_fixture_server(const struct sh_fact *f)
{
	static uint8_t buf[FIXTURE_MAX];
	struct ta_server_hello sh;
	char name[96];
	long n;

	snprintf(name, sizeof(name), "server hello %s matches tshark", f->name);
	ta_case_begin(name);
	n = load_fixture(f->name, "serverhello", buf, sizeof(buf));
	if (n < 0) {
		ta_case_end();
		return;
	}
	TA_CHECK_EQ(ta_parse_server_hello(buf, (size_t)n, &sh), TA_TLS_ESTABLISHED);
	TA_CHECK_EQ(sh.kind, TA_TLS_ESTABLISHED);
	TA_CHECK_EQ(sh.truncated, 0);
	TA_CHECK_EQ(sh.malformed, 0);
	TA_CHECK_EQ(sh.hrr, 0);
	TA_CHECK_EQ(sh.record_version, 0x0303);
	TA_CHECK_EQ(sh.legacy_version, 0x0303);
	TA_CHECK(sh.has_version && sh.version == f->version, "version 0x%04x", sh.version);
	TA_CHECK(sh.has_cipher && sh.cipher == f->cipher, "cipher 0x%04x", sh.cipher);
	TA_CHECK_EQ(sh.has_group, f->group != 0);
	TA_CHECK_EQ(sh.group, f->group);
	if (f->alpn)
		TA_CHECK(sh.alpn_len == strlen(f->alpn) && !memcmp(sh.alpn, f->alpn, sh.alpn_len),
			 "alpn chosen");
	else
		TA_CHECK_EQ(sh.alpn_len, 0);
	ta_case_end();
}

static void test_ja4_spec_example(void)
{
	static const char *const alpn[] = { "\x02h2", "\x08http/1.1" };
	static const uint16_t vers[] = { 0x2a2a, 0x0304, 0x0303 };
	static const uint16_t groups[] = { 0x2a2a, 0x001d, 0x0017, 0x0018 };
	static const uint16_t ks[] = { 0x2a2a, 0x001d }, kl[] = { 1, 32 };
	static const char want_r[] =
		"t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,"
		"cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,"
		"ff01_0403,0804,0401,0503,0805,0501,0806,0601";
	uint16_t ciphers[16];
	struct ta_client_hello ch;
	char ja4[64], raw[1024];

	ta_case_begin("ja4: JA4.md worked example (Chrome-like hello, GREASE dropped)");
	ciphers[0] = 0x8a8a; /* Chrome leads with a GREASE suite */
	memcpy(ciphers + 1, spec_ciphers, sizeof(spec_ciphers));
	ch_begin(&B, 0x0303, ciphers, 16);
	/* JA4.md's extension order: 001b,0000,0033,0010,4469,0017,002d,000d,
	 * 0005,0023,0012,002b,ff01,000b,000a,0015, with GREASE around it */
	ext_raw(&B, 0x3a3a, "", 0);
	ext_raw(&B, 0x001b, "\x02\x00\x02", 3);
	ext_sni(&B, "example.com", 11);
	ext_key_share(&B, ks, kl, 2);
	ext_alpn(&B, alpn, 2);
	ext_raw(&B, 0x4469, "\x00\x03\x02h2", 6);
	ext_raw(&B, 0x0017, "", 0);
	ext_raw(&B, 0x002d, "\x01\x01", 2);
	ext_list16(&B, TA_TLS_EXT_SIGALGS, spec_sigalgs, ARRAY_SIZE(spec_sigalgs));
	ext_raw(&B, 0x0005, "\x01\x00\x00\x00\x00", 5);
	ext_raw(&B, 0x0023, "", 0);
	ext_raw(&B, 0x0012, "", 0);
	ext_versions(&B, vers, 3);
	ext_raw(&B, 0xff01, "\x00", 1);
	ext_raw(&B, 0x000b, "\x01\x00", 2);
	ext_list16(&B, TA_TLS_EXT_SUPPORTED_GROUPS, groups, 4);
	ext_raw(&B, 0xdada, "\x00", 1);
	ext_raw(&B, 0x0015, "\0\0\0\0\0\0\0\0", 8);
	ch_end(&B);
	TA_CHECK_EQ(parse_b(&ch), 0);
	TA_CHECK_EQ(ch.malformed, 0);
	TA_CHECK_EQ(ch.n_ciphers, 15);
	TA_CHECK_EQ(ch.n_exts, 16);
	TA_CHECK_EQ(ch.n_grease, 6);
	ta_ja4(&ch, 0, ja4);
	TA_CHECK(!strcmp(ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1"), "ja4 %s", ja4);
	ta_ja4_raw(&ch, 0, raw, sizeof(raw));
	TA_CHECK(!strcmp(raw, want_r), "ja4_r %s", raw);
	ta_ja4(&ch, 1, ja4);
	TA_CHECK(!strcmp(ja4, "q13d1516h2_8daaf6152771_e5627efa2ab1"), "quic ja4 %s", ja4);
	ta_case_end();
}

/* FoxIO python/test/testdata/sigalg-grease.pcapng.json: JA4_ro gives the
 * capture's lists in wire order; the hello also carried a GREASE sigalg. */
static void test_ja4_sigalg_grease(void)
{
	static const char *const alpn[] = { "\x02h2", "\x08http/1.1" };
	static const uint16_t sig[] = {
		0x9a9a, 0x0904, 0x0905, 0x0906, 0x0403, 0x0804,
		0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
	};
	static const uint16_t vers[] = { 0x0304, 0x0303 };
	static const uint16_t groups[] = { 0x11ec, 0x001d, 0x0017, 0x0018 };
	static const uint16_t ks[] = { 0x11ec, 0x001d }, kl[] = { 1216, 32 };
	static const char want_r[] =
		"t13d1517h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,"
		"cca8,cca9_0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,44cd,ca34,fe0d,"
		"ff01_0904,0905,0906,0403,0804,0401,0503,0805,0501,0806,0601";
	struct ta_client_hello ch;
	char ja4[64], raw[1024];

	ta_case_begin("ja4: FoxIO sigalg-grease capture (published JA4 and JA4_r)");
	ch_begin(&B, 0x0303, spec_ciphers, ARRAY_SIZE(spec_ciphers));
	/* fe0d,0010,0017,0033,44cd,ff01,000a,000d,0023,002b,000b,ca34,002d,0000,
	 * 0005,001b,0012 */
	ext_raw(&B, TA_TLS_EXT_ECH, "\x00\x00\x01\x00\x01\x00", 6);
	ext_alpn(&B, alpn, 2);
	ext_raw(&B, 0x0017, "", 0);
	ext_key_share(&B, ks, kl, 2);
	ext_raw(&B, 0x44cd, "\x00\x03\x02h2", 6);
	ext_raw(&B, 0xff01, "\x00", 1);
	ext_list16(&B, TA_TLS_EXT_SUPPORTED_GROUPS, groups, 4);
	ext_list16(&B, TA_TLS_EXT_SIGALGS, sig, ARRAY_SIZE(sig));
	ext_raw(&B, 0x0023, "", 0);
	ext_versions(&B, vers, 2);
	ext_raw(&B, 0x000b, "\x01\x00", 2);
	ext_raw(&B, 0xca34, "", 0);
	ext_raw(&B, 0x002d, "\x01\x01", 2);
	ext_sni(&B, "optimizationguide-pa.googleapis.com", 35);
	ext_raw(&B, 0x0005, "\x01\x00\x00\x00\x00", 5);
	ext_raw(&B, 0x001b, "\x02\x00\x02", 3);
	ext_raw(&B, 0x0012, "", 0);
	ch_end(&B);
	TA_CHECK_EQ(parse_b(&ch), 0);
	TA_CHECK_EQ(ch.n_sigalgs, 11);
	TA_CHECK_EQ(ch.n_grease, 1);
	TA_CHECK(ch.ech && ch.pq, "ech %u pq %u", ch.ech, ch.pq);
	ta_ja4(&ch, 0, ja4);
	TA_CHECK(!strcmp(ja4, "t13d1517h2_8daaf6152771_cb7bf5808d99"), "ja4 %s", ja4);
	ta_ja4_raw(&ch, 0, raw, sizeof(raw));
	TA_CHECK(!strcmp(raw, want_r), "ja4_r %s", raw);
	ta_case_end();
}

static void test_ja4_vectors(void)
{
	static uint8_t hs[4096];
	struct ta_client_hello ch;
	char ja4[64], raw[2048];
	size_t i, n, sn;

	ta_case_begin("ja4: real ClientHello byte strings with published JA4/JA4_r");
	for (i = 0; i < ARRAY_SIZE(vectors); i++) {
		n = unhex(vectors[i].hex, hs, sizeof(hs));
		TA_CHECK(n == 4 + ((size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3]),
			 "vector %zu: %zu bytes, header says otherwise", i, n);
		sn = wrap1(hs, n, stream);
		TA_CHECK_EQ(ta_parse_client_hello(stream, sn, &ch), 0);
		TA_CHECK(!ch.truncated && !ch.malformed, "vector %zu: truncated %u malformed %u", i,
			 ch.truncated, ch.malformed);
		ta_ja4(&ch, 0, ja4);
		TA_CHECK(!strcmp(ja4, vectors[i].ja4), "vector %zu: ja4 %s, want %s", i, ja4,
			 vectors[i].ja4);
		ta_ja4_raw(&ch, 0, raw, sizeof(raw));
		TA_CHECK(!strcmp(raw, vectors[i].ja4_r), "vector %zu: ja4_r %s", i, raw);
	}
	/* the second one is a real post-quantum hello */
	n = unhex(vec2_hex, hs, sizeof(hs));
	sn = wrap1(hs, n, stream);
	ta_parse_client_hello(stream, sn, &ch);
	TA_CHECK(ch.pq && ch.ech, "vector 1: pq %u ech %u", ch.pq, ch.ech);
	TA_CHECK(ch.n_key_shares == 3 && ch.key_shares[0] == 0x11ec && ch.key_share_len[0] == 1216,
		 "vector 1: key shares %u [0]=0x%04x/%u", ch.n_key_shares, ch.key_shares[0],
		 ch.key_share_len[0]);
	TA_CHECK(ch.sni_len == 9 && !memcmp(ch.sni, "ja4db.com", 9), "vector 1: sni %s", ch.sni);
	ta_case_end();
}

/* A hello whose first ALPN value is the given bytes; returns JA4 chars 9-10. */
static void alpn_chars(const char *val, size_t n, char out[3])
{
	char entry[300];
	const char *alpn[1] = { entry };
	struct ta_client_hello ch;
	char ja4[64];

	entry[0] = (char)n;
	memcpy(entry + 1, val, n);
	ch_begin(&B, 0x0303, spec_ciphers, 1);
	ext_alpn(&B, alpn, 1);
	ch_end(&B);
	parse_b(&ch);
	ta_ja4(&ch, 0, ja4);
	out[0] = ja4[8];
	out[1] = ja4[9];
	out[2] = '\0';
}

static void test_ja4_alpn_rules(void)
{
	static const struct {
		const char *val;
		size_t n;
		const char *want;
	} v[] = {
		/* JA4.md "ALPN Extension Value" */
		{ "h2", 2, "h2" },
		{ "http/1.1", 8, "h1" },
		{ "\xab", 1, "ab" },
		{ "\xab\xcd", 2, "ad" },
		{ "\x30\xab", 2, "3b" },
		{ "\x30\x31\xab\xcd", 4, "3d" },
		{ "\x30\xab\xcd\x31", 4, "01" },
		{ "x", 1, "xx" }, /* a single character is both first and last */
		{ "", 0, "00" },  /* an empty first value */
		{ "h3-29", 5, "h9" },
	};
	struct ta_client_hello ch;
	char got[3], ja4[64];
	size_t i;

	ta_case_begin("ja4: ALPN first/last character rules");
	for (i = 0; i < ARRAY_SIZE(v); i++) {
		alpn_chars(v[i].val, v[i].n, got);
		TA_CHECK(!strcmp(got, v[i].want), "alpn #%zu: %s, want %s", i, got, v[i].want);
	}
	/* no ALPN extension at all */
	ch_begin(&B, 0x0303, spec_ciphers, 1);
	ch_end(&B);
	parse_b(&ch);
	ta_ja4(&ch, 0, ja4);
	TA_CHECK(!strncmp(ja4, "t12i010000_", 11), "no alpn: %s", ja4);
	ta_case_end();
}

static void test_ja4_empty_and_caps(void)
{
	static const uint16_t e2[] = { 0x001d };
	static const char *const alpn[] = { "\x02h2" };
	uint16_t many[300];
	struct ta_client_hello ch;
	char ja4[64], raw[4096], small[12], hex[65];
	size_t i, full;

	ta_case_begin("ja4: empty lists, no sigalgs, 99 caps, raw length");
	/* no ciphers, no extensions: zeros rather than the hash of nothing */
	ch_begin(&B, 0x0303, NULL, 0);
	ch_end(&B);
	TA_CHECK_EQ(parse_b(&ch), 0);
	ta_ja4(&ch, 0, ja4);
	TA_CHECK(!strcmp(ja4, "t12i000000_000000000000_000000000000"), "empty: %s", ja4);
	ta_ja4_raw(&ch, 0, raw, sizeof(raw));
	TA_CHECK(!strcmp(raw, "t12i000000__"), "empty raw: %s", raw);

	/* only SNI and ALPN: section c has nothing left to hash */
	ch_begin(&B, 0x0303, spec_ciphers, 2);
	ext_sni(&B, "a.b", 3);
	ext_alpn(&B, alpn, 1);
	ch_end(&B);
	parse_b(&ch);
	ta_ja4(&ch, 0, ja4);
	TA_CHECK(!strcmp(ja4 + 24, "000000000000") && !strncmp(ja4, "t12d0202h2_", 11),
		 "sni+alpn only: %s", ja4);

	/* extensions but no signature_algorithms: no trailing "_" */
	ch_begin(&B, 0x0303, spec_ciphers, 1);
	ext_list16(&B, TA_TLS_EXT_SUPPORTED_GROUPS, e2, 1);
	ext_raw(&B, 0x000b, "\x01\x00", 2);
	ch_end(&B);
	parse_b(&ch);
	ta_ja4_raw(&ch, 0, raw, sizeof(raw));
	TA_CHECK(!strcmp(raw, "t12i010200_1301_000a,000b"), "no sigalgs raw: %s", raw);
	ta_ja4(&ch, 0, ja4);
	sha_hex("000a,000b", hex);
	TA_CHECK(!strncmp(ja4 + 24, hex, 12), "no sigalgs hash %s vs %.12s", ja4 + 24, hex);

	/* more than 99 ciphers: the count saturates, the array keeps 256 */
	for (i = 0; i < 300; i++)
		many[i] = (uint16_t)(0xc100 + i);
	ch_begin(&B, 0x0303, many, 300);
	ch_end(&B);
	parse_b(&ch);
	TA_CHECK_EQ(ch.n_ciphers, TA_TLS_MAX_CIPHERS);
	TA_CHECK(ch.overflow & TA_TLS_OVF_CIPHERS, "cipher overflow not flagged");
	ta_ja4(&ch, 0, ja4);
	TA_CHECK(!strncmp(ja4, "t12i9900", 8), "99 ciphers: %s", ja4);

	/* raw into a small buffer: cut, terminated, full length reported */
	full = ta_ja4_raw(&ch, 0, raw, sizeof(raw));
	TA_CHECK_EQ(ta_ja4_raw(&ch, 0, small, sizeof(small)), full);
	TA_CHECK_EQ(strlen(small), sizeof(small) - 1);
	TA_CHECK_EQ(ta_ja4_raw(&ch, 0, NULL, 0), full);
	ta_case_end();
}

static void test_ext_past_end(void)
{
	struct ta_client_hello ch;

	ta_case_begin("edge: extension length past the end of the message");
	ch_begin(&B, 0x0303, spec_ciphers, 3);
	ext_sni(&B, "srv.test", 8);
	b_u16(&B, 0x0017);
	b_u16(&B, 500); /* claims 500 bytes, 3 follow */
	b_fill(&B, 0, 3);
	ch_end(&B);
	TA_CHECK_EQ(parse_b(&ch), 0);
	TA_CHECK_EQ(ch.truncated, 0); /* we have the whole message: it lies */
	TA_CHECK_EQ(ch.malformed, 1);
	TA_CHECK(ch.sni_len == 8, "sni before the bad extension kept");
	TA_CHECK(ch.n_exts == 2 && ch.exts[1] == 0x0017, "n_exts %u", ch.n_exts);
	TA_CHECK_EQ(ch.n_ciphers, 3);

	/* the extensions block itself claims more than the message holds */
	ch_begin(&B, 0x0303, spec_ciphers, 3);
	ext_sni(&B, "srv.test", 8);
	ch_end(&B);
	B.b[4 + 2 + 32 + 1 + 32 + 2 + 6 + 2] = 0x03; /* extensions length high byte */
	TA_CHECK_EQ(parse_b(&ch), 0);
	TA_CHECK(ch.malformed && !ch.truncated, "block overrun: malformed %u truncated %u",
		 ch.malformed, ch.truncated);
	TA_CHECK_EQ(ch.n_ciphers, 3);

	/* an ALPN entry running past its list, an odd-length group list */
	ch_begin(&B, 0x0303, spec_ciphers, 1);
	ext_raw(&B, TA_TLS_EXT_ALPN, "\x00\x04\x02h2\x09", 6);
	ext_raw(&B, TA_TLS_EXT_SUPPORTED_GROUPS, "\x00\x03\x00\x1d\x00", 5);
	ch_end(&B);
	TA_CHECK_EQ(parse_b(&ch), 0);
	TA_CHECK(ch.malformed && ch.n_alpn == 1 && ch.n_groups == 1,
		 "malformed %u n_alpn %u n_groups %u", ch.malformed, ch.n_alpn, ch.n_groups);
	ta_case_end();
}

static void test_zero_length_sni(void)
{
	struct ta_client_hello ch;
	char ja4[64], json[2048];

	ta_case_begin("edge: zero-length SNI (empty extension, empty host_name)");
	ch_begin(&B, 0x0303, spec_ciphers, 1);
	ext_raw(&B, TA_TLS_EXT_SERVER_NAME, "", 0);
	ch_end(&B);
	TA_CHECK_EQ(parse_b(&ch), 0);
	TA_CHECK(ch.sni_present && ch.sni_len == 0 && !ch.malformed, "empty extension");
	ta_ja4(&ch, 0, ja4);
	TA_CHECK(ja4[3] == 'd', "ja4 %s: SNI extension present means d", ja4);
	json_of(&ch, NULL, json, sizeof(json));
	TA_CHECK(!contains(json, "\"sni\""), "no sni member for an empty name: %s", json);

	ch_begin(&B, 0x0303, spec_ciphers, 1);
	ext_sni(&B, "", 0);
	ch_end(&B);
	TA_CHECK_EQ(parse_b(&ch), 0);
	TA_CHECK(ch.sni_present && ch.sni_len == 0 && !ch.malformed, "empty host_name");

	/* an overlong name is cut to 255 and flagged */
	{
		char name[300];

		memset(name, 'a', sizeof(name));
		ch_begin(&B, 0x0303, spec_ciphers, 1);
		ext_sni(&B, name, sizeof(name));
		ch_end(&B);
		TA_CHECK_EQ(parse_b(&ch), 0);
		TA_CHECK(ch.sni_len == 255 && ch.sni[255] == '\0' && (ch.overflow & TA_TLS_OVF_SNI),
			 "long sni %u", ch.sni_len);
	}
	/* a second server_name extension is illegal and does not overwrite */
	ch_begin(&B, 0x0303, spec_ciphers, 1);
	ext_sni(&B, "first", 5);
	ext_sni(&B, "second", 6);
	ch_end(&B);
	TA_CHECK_EQ(parse_b(&ch), 0);
	TA_CHECK(ch.malformed && ch.sni_len == 5 && !memcmp(ch.sni, "first", 5),
		 "duplicate sni: %s", ch.sni);
	ta_case_end();
}

static void test_200_extensions(void)
{
	struct ta_client_hello ch;
	char ja4[64];
	unsigned int i, ok = 1;

	ta_case_begin("edge: 200 extensions");
	ch_begin(&B, 0x0303, spec_ciphers, 4);
	for (i = 0; i < 200; i++)
		ext_raw(&B, (uint16_t)(0x1000 + i), "\x01", 1);
	ch_end(&B);
	TA_CHECK_EQ(parse_b(&ch), 0);
	TA_CHECK_EQ(ch.n_exts, 200);
	TA_CHECK_EQ(ch.overflow, 0);
	TA_CHECK_EQ(ch.malformed, 0);
	for (i = 0; i < ch.n_exts; i++)
		ok &= ch.exts[i] == 0x1000 + i;
	TA_CHECK(ok, "extension order kept");
	ta_ja4(&ch, 0, ja4);
	TA_CHECK(!strncmp(ja4, "t12i049900_", 11), "ja4 %s", ja4);

	/* past the array: cut and flagged */
	ch_begin(&B, 0x0303, spec_ciphers, 1);
	for (i = 0; i < 300; i++)
		ext_raw(&B, (uint16_t)(0x2000 + i), "", 0);
	ch_end(&B);
	TA_CHECK_EQ(parse_b(&ch), 0);
	TA_CHECK(ch.n_exts == TA_TLS_MAX_EXTS && (ch.overflow & TA_TLS_OVF_EXTS), "n_exts %u",
		 ch.n_exts);
	ta_case_end();
}

/* The same hello with and without GREASE in every list. */
static void build_grease_hello(int grease)
{
	static const uint16_t c_plain[] = { 0x1301, 0x1302, 0xc02b };
	static const uint16_t c_grease[] = { 0x0a0a, 0x1301, 0x1302, 0xc02b };
	static const uint16_t g_plain[] = { 0x001d, 0x0017 };
	static const uint16_t g_grease[] = { 0x1a1a, 0x001d, 0x0017 };
	static const uint16_t v_plain[] = { 0x0304, 0x0303 };
	static const uint16_t v_grease[] = { 0x2a2a, 0x0304, 0x0303 };
	static const uint16_t s_plain[] = { 0x0403, 0x0804 };
	static const uint16_t s_grease[] = { 0x0403, 0x3a3a, 0x0804 };
	static const uint16_t k_plain[] = { 0x001d }, kl_plain[] = { 32 };
	static const uint16_t k_grease[] = { 0x4a4a, 0x001d }, kl_grease[] = { 1, 32 };
	static const char *const a_plain[] = { "\x02h2" };
	static const char *const a_grease[] = { "\x02\x5a\x5a", "\x02h2" };

	if (grease) {
		ch_begin(&B, 0x0303, c_grease, 4);
		ext_raw(&B, 0x6a6a, "", 0);
	} else {
		ch_begin(&B, 0x0303, c_plain, 3);
	}
	ext_sni(&B, "srv.test", 8);
	if (grease)
		ext_alpn(&B, a_grease, 2);
	else
		ext_alpn(&B, a_plain, 1);
	if (grease)
		ext_list16(&B, TA_TLS_EXT_SUPPORTED_GROUPS, g_grease, 3);
	else
		ext_list16(&B, TA_TLS_EXT_SUPPORTED_GROUPS, g_plain, 2);
	if (grease)
		ext_versions(&B, v_grease, 3);
	else
		ext_versions(&B, v_plain, 2);
	if (grease)
		ext_list16(&B, TA_TLS_EXT_SIGALGS, s_grease, 3);
	else
		ext_list16(&B, TA_TLS_EXT_SIGALGS, s_plain, 2);
	if (grease)
		ext_key_share(&B, k_grease, kl_grease, 2);
	else
		ext_key_share(&B, k_plain, kl_plain, 1);
	if (grease)
		ext_raw(&B, 0xfafa, "\x00", 1);
	ch_end(&B);
}

static void test_grease_everywhere(void)
{
	struct ta_client_hello a, b;
	char ja4a[64], ja4b[64];

	ta_case_begin("edge: GREASE in every list is ignored");
	build_grease_hello(1);
	TA_CHECK_EQ(parse_b(&a), 0);
	build_grease_hello(0);
	TA_CHECK_EQ(parse_b(&b), 0);
	TA_CHECK_EQ(a.n_grease, 8);
	TA_CHECK_EQ(b.n_grease, 0);
	TA_CHECK(a.n_ciphers == 3 && u16_eq(a.ciphers, b.ciphers, 3), "ciphers");
	TA_CHECK(a.n_exts == b.n_exts && u16_eq(a.exts, b.exts, a.n_exts), "exts %u/%u", a.n_exts,
		 b.n_exts);
	TA_CHECK(a.n_groups == 2 && u16_eq(a.groups, b.groups, 2), "groups");
	TA_CHECK(a.n_versions == 2 && u16_eq(a.versions, b.versions, 2), "versions");
	TA_CHECK(a.n_sigalgs == 2 && u16_eq(a.sigalgs, b.sigalgs, 2), "sigalgs");
	TA_CHECK(a.n_key_shares == 1 && a.key_shares[0] == 0x001d, "key shares");
	TA_CHECK(a.n_alpn == 1 && a.alpn[0].len == 2 && !memcmp(a.alpn[0].name, "h2", 2), "alpn");
	ta_ja4(&a, 0, ja4a);
	ta_ja4(&b, 0, ja4b);
	TA_CHECK(!strcmp(ja4a, ja4b), "ja4 %s vs %s", ja4a, ja4b);
	TA_CHECK(!strncmp(ja4a, "t13d0306h2_", 11), "ja4 %s", ja4a);
	ta_case_end();
}

/* A hello whose body is exactly body bytes long, SNI first and
 * supported_versions after a big padding extension. */
static void build_big_hello(size_t body)
{
	static const uint16_t v[] = { 0x0304 };
	size_t base;

	ch_begin(&B, 0x0303, spec_ciphers, 3);
	ext_sni(&B, "big.test", 8);
	ext_raw(&B, 0x0015, "", 0);
	ext_versions(&B, v, 1);
	ch_end(&B);
	base = B.n - 4;
	ch_begin(&B, 0x0303, spec_ciphers, 3);
	ext_sni(&B, "big.test", 8);
	b_u16(&B, 0x0015);
	b_u16(&B, (unsigned int)(body - base));
	b_fill(&B, 0, body - base);
	ext_versions(&B, v, 1);
	ch_end(&B);
}

static void test_16k_two_records(void)
{
	static const size_t frag[] = { 16384 };
	struct ta_client_hello ch;
	size_t n;

	ta_case_begin("edge: a 16 KiB ClientHello spanning two records");
	build_big_hello(TA_TLS_HS_MAX);
	TA_CHECK_EQ(B.n, TA_TLS_HS_MAX + 4);
	n = wrap(B.b, B.n, frag, 1, stream);
	TA_CHECK_EQ(n, TA_TLS_HS_MAX + 4 + 10);
	TA_CHECK_EQ(ta_parse_client_hello(stream, n, &ch), 0);
	TA_CHECK(!ch.truncated && !ch.malformed && !ch.overflow, "t %u m %u o 0x%x", ch.truncated,
		 ch.malformed, ch.overflow);
	TA_CHECK_EQ(ch.handshake_len, TA_TLS_HS_MAX);
	TA_CHECK_EQ(ch.body_len, TA_TLS_HS_MAX);
	TA_CHECK(ch.sni_len == 8 && ch.n_versions == 1 && ch.versions[0] == 0x0304,
		 "the extension in the second record was read");

	/* one byte more than we reassemble: best effort, flagged */
	build_big_hello(TA_TLS_HS_MAX + 1);
	n = wrap(B.b, B.n, frag, 1, stream);
	TA_CHECK_EQ(ta_parse_client_hello(stream, n, &ch), 0);
	TA_CHECK(ch.truncated && (ch.overflow & TA_TLS_OVF_HANDSHAKE) && !ch.malformed,
		 "oversize: t %u o 0x%x m %u", ch.truncated, ch.overflow, ch.malformed);
	TA_CHECK_EQ(ch.handshake_len, TA_TLS_HS_MAX + 1);
	TA_CHECK_EQ(ch.body_len, TA_TLS_HS_MAX);
	TA_CHECK(ch.sni_len == 8 && ch.n_versions == 0, "sni kept, versions beyond the cap lost");
	ta_case_end();
}

static void test_split_records(void)
{
	static uint8_t buf[FIXTURE_MAX];
	struct ta_client_hello whole, split;
	size_t frag[3], cut, n, sn;
	long len;
	unsigned int i, bad = 0, tried = 0;

	ta_case_begin("edge: fixtures split across records at every offset");
	for (i = 0; i < ARRAY_SIZE(ch_facts); i++) {
		len = load_fixture(ch_facts[i].name, "clienthello", buf, sizeof(buf));
		if (len < 9)
			continue;
		n = (size_t)len - 5; /* the handshake message inside the one record */
		ta_parse_client_hello(buf, (size_t)len, &whole);
		for (cut = 1; cut < n; cut++) {
			frag[0] = cut;
			sn = wrap(buf + 5, n, frag, 1, stream);
			ta_parse_client_hello(stream, sn, &split);
			whole.record_version = split.record_version; /* wrap() writes 0x0301 too */
			bad += memcmp(&whole, &split, sizeof(whole)) != 0;
			tried++;
		}
		/* three records, the first two inside the 4-byte handshake header */
		for (cut = 1; cut < 4; cut++) {
			frag[0] = cut;
			frag[1] = 3;
			frag[2] = n / 2;
			sn = wrap(buf + 5, n, frag, 3, stream);
			ta_parse_client_hello(stream, sn, &split);
			bad += memcmp(&whole, &split, sizeof(whole)) != 0;
			tried++;
		}
	}
	TA_CHECK(bad == 0 && tried > 1000, "%u of %u splits parsed differently", bad, tried);
	ta_case_end();
}

static void test_record_stream_oddities(void)
{
	static uint8_t buf[FIXTURE_MAX];
	static const size_t frag[] = { 100 };
	struct ta_client_hello ch;
	size_t n, sn, first;
	long len;

	ta_case_begin("edge: interrupted records, lying record and handshake lengths");
	len = load_fixture("python", "clienthello", buf, sizeof(buf));
	if (len < 200) {
		ta_case_end();
		return;
	}
	n = (size_t)len - 5;
	/* a ChangeCipherSpec record between the two halves */
	sn = wrap(buf + 5, n, frag, 1, stream);
	first = 5 + 100;
	memmove(stream + first + 6, stream + first, sn - first);
	memcpy(stream + first, "\x14\x03\x03\x00\x01\x01", 6);
	TA_CHECK_EQ(ta_parse_client_hello(stream, sn + 6, &ch), 0);
	TA_CHECK(ch.truncated && ch.malformed, "interrupted: t %u m %u", ch.truncated,
		 ch.malformed);
	TA_CHECK_EQ(ch.body_len, 96);

	/* the record claims more than was captured, the message is complete */
	memcpy(stream, buf, (size_t)len);
	stream[3] = 0x40;
	stream[4] = 0x00;
	TA_CHECK_EQ(ta_parse_client_hello(stream, (size_t)len, &ch), 0);
	TA_CHECK(!ch.truncated && !ch.malformed && ch.sni_len == 8, "long record: t %u m %u",
		 ch.truncated, ch.malformed);

	/* the handshake header claims more than was sent */
	memcpy(stream, buf, (size_t)len);
	stream[7] = (uint8_t)(stream[7] + 1);
	TA_CHECK_EQ(ta_parse_client_hello(stream, (size_t)len, &ch), 0);
	TA_CHECK(ch.truncated && !ch.malformed && ch.sni_len == 8, "long handshake: t %u m %u",
		 ch.truncated, ch.malformed);

	/* what follows a complete hello (0-RTT data here) is not ours to judge */
	memcpy(stream, buf, (size_t)len);
	memcpy(stream + len, "\x17\x03\x03\x00\x05hello", 10);
	TA_CHECK_EQ(ta_parse_client_hello(stream, (size_t)len + 10, &ch), 0);
	TA_CHECK(!ch.truncated && !ch.malformed && ch.sni_len == 8, "early data: t %u m %u",
		 ch.truncated, ch.malformed);

	/* zero-length records before the real one are skipped */
	memcpy(stream, "\x16\x03\x01\x00\x00\x16\x03\x01\x00\x00", 10);
	memcpy(stream + 10, buf, (size_t)len);
	TA_CHECK_EQ(ta_parse_client_hello(stream, (size_t)len + 10, &ch), 0);
	TA_CHECK(!ch.truncated && ch.sni_len == 8, "empty records: t %u", ch.truncated);

	/* not a ClientHello at all */
	TA_CHECK_EQ(ta_parse_client_hello((const uint8_t *)"GET / HTTP/1.1\r\n", 16, &ch), -1);
	TA_CHECK_EQ(ta_parse_client_hello((const uint8_t *)"\x80\x2e\x01\x03\x01", 5, &ch), -1);
	TA_CHECK_EQ(ta_parse_client_hello((const uint8_t *)"\x16\x02", 2, &ch), -1);
	TA_CHECK_EQ(ta_parse_client_hello(buf, 0, &ch), -1);
	TA_CHECK_EQ(ta_parse_client_hello(NULL, 10, &ch), -1);
	len = load_fixture("python", "serverhello", buf, sizeof(buf));
	TA_CHECK_EQ(ta_parse_client_hello(buf, (size_t)len, &ch), -1);
	ta_case_end();
}

static void test_ech_and_pq(void)
{
	static const uint16_t pq_ks[] = { 0x11ec, 0x001d }, pq_kl[] = { 1216, 32 };
	static const uint16_t pq_groups[] = { 0x11ec, 0x001d };
	static const uint16_t draft_groups[] = { 0x001d, 0x6399 };
	static const uint16_t p384_ks[] = { 0x11ed }, p384_kl[] = { 1665 };
	struct ta_client_hello ch;
	char json[4096];

	ta_case_begin("edge: ECH extension and post-quantum key shares");
	ch_begin(&B, 0x0303, spec_ciphers, 3);
	ext_sni(&B, "public.example", 14);
	ext_raw(&B, TA_TLS_EXT_ECH,
		"\x00\x00\x01\x00\x01\x2a\x00\x04"
		"abcd"
		"\x00\x03"
		"xyz",
		17);
	ch_end(&B);
	TA_CHECK_EQ(parse_b(&ch), 0);
	TA_CHECK(ch.ech && !ch.pq && !ch.malformed, "ech %u", ch.ech);
	json_of(&ch, NULL, json, sizeof(json));
	TA_CHECK(contains(json, "\"ech\":true"), "%s", json);

	ch_begin(&B, 0x0303, spec_ciphers, 3);
	ext_list16(&B, TA_TLS_EXT_SUPPORTED_GROUPS, pq_groups, 2);
	ext_key_share(&B, pq_ks, pq_kl, 2);
	ch_end(&B);
	TA_CHECK_EQ(parse_b(&ch), 0);
	TA_CHECK(ch.pq && !ch.malformed && !ch.truncated, "pq %u", ch.pq);
	TA_CHECK(ch.n_key_shares == 2 && ch.key_shares[0] == 0x11ec &&
			 ch.key_share_len[0] == 1216 && ch.key_share_len[1] == 32,
		 "key shares");
	json_of(&ch, NULL, json, sizeof(json));
	TA_CHECK(contains(json, "\"key_shares\":[\"X25519MLKEM768\",\"x25519\"]") &&
			 contains(json, "\"pq\":true"),
		 "%s", json);

	/* PQ offered in supported_groups only (the Kyber draft codepoint) */
	ch_begin(&B, 0x0303, spec_ciphers, 3);
	ext_list16(&B, TA_TLS_EXT_SUPPORTED_GROUPS, draft_groups, 2);
	ch_end(&B);
	parse_b(&ch);
	TA_CHECK_EQ(ch.pq, 1);

	/* PQ in key_share only */
	ch_begin(&B, 0x0303, spec_ciphers, 3);
	ext_key_share(&B, p384_ks, p384_kl, 1);
	ch_end(&B);
	parse_b(&ch);
	TA_CHECK(ch.pq && ch.key_share_len[0] == 1665, "p384 mlkem1024");
	ta_case_end();
}

/* Parse a heap copy of exactly k bytes, so ASan sees any overread, and run
 * everything downstream of the parse on the result. */
static int prefix_client(const uint8_t *buf, size_t k, struct ta_client_hello *ch, char ja4[64])
{
	static char raw[4096], json[TA_TLS_JSON_MAX];
	uint8_t *p = malloc(k);
	struct strbuf sb;
	int rc;

	memcpy(p, buf, k);
	rc = ta_parse_client_hello(p, k, ch);
	free(p);
	ta_ja4(ch, 0, ja4);
	ta_ja4_raw(ch, 0, raw, sizeof(raw));
	sb_init(&sb, json, sizeof(json));
	ta_tls_json(&sb, ch, NULL);
	return rc;
}

static int prefix_server(const uint8_t *buf, size_t k, struct ta_server_hello *sh)
{
	static char json[TA_TLS_JSON_MAX];
	uint8_t *p = malloc(k);
	struct strbuf sb;
	int rc;

	memcpy(p, buf, k);
	rc = ta_parse_server_hello(p, k, sh);
	free(p);
	sb_init(&sb, json, sizeof(json));
	ta_tls_json(&sb, NULL, sh);
	return rc;
}

static void test_prefixes(void)
{
	static uint8_t buf[FIXTURE_MAX];
	struct ta_client_hello ch;
	struct ta_server_hello sh;
	unsigned int i, bad = 0;
	char ja4[64];
	size_t k, n;
	long len;
	int rc;

	ta_case_begin("edge: every prefix of every fixture (truncated, never OOB)");
	for (i = 0; i < ARRAY_SIZE(ch_facts); i++) {
		len = load_fixture(ch_facts[i].name, "clienthello", buf, sizeof(buf));
		n = len > 0 ? (size_t)len : 0;
		for (k = 1; k <= n; k++) {
			rc = prefix_client(buf, k, &ch, ja4);
			if (rc == 0 && ch.truncated == (k < n) && !ch.malformed)
				continue;
			if (!bad++)
				TA_CHECK(0, "%s prefix %zu: rc %d truncated %u malformed %u",
					 ch_facts[i].name, k, rc, ch.truncated, ch.malformed);
		}
		TA_CHECK(!strcmp(ja4, ch_facts[i].ja4), "%s: full ja4 %s", ch_facts[i].name, ja4);
	}
	for (i = 0; i < ARRAY_SIZE(sh_facts); i++) {
		len = load_fixture(sh_facts[i].name, "serverhello", buf, sizeof(buf));
		n = len > 0 ? (size_t)len : 0;
		for (k = 1; k <= n; k++) {
			int want = k >= 6 ? TA_TLS_ESTABLISHED : TA_TLS_UNKNOWN;

			rc = prefix_server(buf, k, &sh);
			/* a cut ServerHello must never claim a version it has not seen */
			if (rc == want && sh.truncated == (k < n) && !sh.malformed &&
			    (!sh.has_version || sh.version == sh_facts[i].version))
				continue;
			if (!bad++)
				TA_CHECK(0,
					 "%s sh prefix %zu: kind %d truncated %u version "
					 "%u/0x%04x",
					 sh_facts[i].name, k, rc, sh.truncated, sh.has_version,
					 sh.version);
		}
	}
	TA_CHECK_EQ(bad, 0);
	ta_case_end();
}

static void test_server_answers(void)
{
	static const char http400[] =
		"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\n\r\n"
		"<html>\x01\x02</html>";
	struct ta_server_hello sh;
	char json[1024];

	ta_case_begin("server: alert records, plaintext answers, unknown bytes");
	TA_CHECK_EQ(ta_parse_server_hello((const uint8_t *)"\x15\x03\x03\x00\x02\x02\x28", 7, &sh),
		    TA_TLS_ALERT);
	TA_CHECK(sh.has_alert && sh.alert_level == 2 && sh.alert_desc == 40 && !sh.malformed,
		 "alert 2/40");
	json_of(NULL, &sh, json, sizeof(json));
	TA_CHECK(!strcmp(json, "\"tls\":{\"handshake\":\"alert\",\"alert\":\"handshake_failure\","
			       "\"alert_level\":\"fatal\"}"),
		 "%s", json);

	TA_CHECK_EQ(ta_parse_server_hello((const uint8_t *)"\x15\x03\x01\x00\x02\x02\x46", 7, &sh),
		    TA_TLS_ALERT);
	TA_CHECK(sh.alert_desc == 70 && sh.record_version == 0x0301, "protocol_version");
	/* a cut alert, and one that is not two bytes (encrypted) */
	TA_CHECK_EQ(ta_parse_server_hello((const uint8_t *)"\x15\x03\x03\x00", 4, &sh),
		    TA_TLS_ALERT);
	TA_CHECK(sh.truncated && !sh.has_alert, "cut alert");
	TA_CHECK_EQ(ta_parse_server_hello((const uint8_t *)"\x15\x03\x03\x00\x13\x8f\x11", 7, &sh),
		    TA_TLS_ALERT);
	TA_CHECK(sh.malformed && !sh.has_alert, "encrypted alert");

	TA_CHECK_EQ(ta_parse_server_hello((const uint8_t *)http400, sizeof(http400) - 1, &sh),
		    TA_TLS_SERVER_PLAINTEXT);
	TA_CHECK(sh.banner_len == 24 && !strcmp(sh.banner, "HTTP/1.1 400 Bad Request"),
		 "banner '%s'", sh.banner);
	json_of(NULL, &sh, json, sizeof(json));
	TA_CHECK(contains(json, "\"handshake\":\"server_plaintext\"") &&
			 contains(json, "\"server_banner\":\"HTTP/1.1 400 Bad Request\""),
		 "%s", json);
	TA_CHECK_EQ(ta_parse_server_hello((const uint8_t *)"SSH-2.0-OpenSSH_9.2p1\r\n", 23, &sh),
		    TA_TLS_SERVER_PLAINTEXT);

	TA_CHECK_EQ(ta_parse_server_hello((const uint8_t *)"", 0, &sh), TA_TLS_UNKNOWN);
	TA_CHECK_EQ(ta_parse_server_hello(NULL, 5, &sh), TA_TLS_UNKNOWN);
	TA_CHECK_EQ(ta_parse_server_hello((const uint8_t *)"\x00\x01\xff\x7f", 4, &sh),
		    TA_TLS_UNKNOWN);
	TA_CHECK_EQ(ta_parse_server_hello((const uint8_t *)"\x16\x02\x00", 3, &sh), TA_TLS_UNKNOWN);
	/* a handshake record, but a Certificate rather than a ServerHello */
	TA_CHECK_EQ(ta_parse_server_hello((const uint8_t *)"\x16\x03\x03\x00\x04\x0b\x00\x00\x00",
					  9, &sh),
		    TA_TLS_UNKNOWN);
	/* "HTTP" then binary within the first 16 bytes is not plaintext */
	TA_CHECK_EQ(ta_parse_server_hello((const uint8_t *)"HTTP\x00\x01", 6, &sh), TA_TLS_UNKNOWN);
	ta_case_end();
}

/* A ServerHello: random, session id echo, suite, then the extensions. */
static void sh_build(const uint8_t random[32], uint16_t cipher, uint16_t version, uint16_t group,
		     size_t keylen)
{
	B.n = 0;
	B.depth = 0;
	b_u8(&B, TA_TLS_HS_SERVER_HELLO);
	b_open(&B, 3);
	b_u16(&B, 0x0303);
	b_mem(&B, random, 32);
	b_u8(&B, 32);
	b_fill(&B, 0x22, 32);
	b_u16(&B, cipher);
	b_u8(&B, 0);
	b_open(&B, 2);
	b_u16(&B, TA_TLS_EXT_SUPPORTED_VERSIONS);
	b_u16(&B, 2);
	b_u16(&B, version);
	b_u16(&B, TA_TLS_EXT_KEY_SHARE);
	b_open(&B, 2);
	b_u16(&B, group);
	if (keylen) {
		b_u16(&B, (unsigned int)keylen);
		b_fill(&B, 0x77, keylen);
	}
	b_close(&B);
	b_close(&B);
	b_close(&B);
}

static void test_hello_retry_request(void)
{
	uint8_t hrr[TA_SHA256_LEN], plain[32];
	struct ta_server_hello sh;
	char json[1024];
	size_t n;

	ta_case_begin("server: HelloRetryRequest and a PQ ServerHello");
	ta_sha256("HelloRetryRequest", 17, hrr);
	sh_build(hrr, 0x1301, 0x0304, 0x0017, 0); /* HRR key_share: the group only */
	n = wrap1(B.b, B.n, stream);
	TA_CHECK_EQ(ta_parse_server_hello(stream, n, &sh), TA_TLS_ESTABLISHED);
	TA_CHECK(sh.hrr && sh.has_version && sh.version == 0x0304 && sh.cipher == 0x1301 &&
			 sh.has_group && sh.group == 0x0017 && !sh.malformed && !sh.truncated,
		 "hrr %u version 0x%04x group 0x%04x", sh.hrr, sh.version, sh.group);
	json_of(NULL, &sh, json, sizeof(json));
	TA_CHECK(contains(json, "\"hrr\":true") && contains(json, "\"group\":\"secp256r1\""), "%s",
		 json);

	memset(plain, 0x42, sizeof(plain));
	sh_build(plain, 0x1302, 0x0304, 0x11ec, 1120);
	n = wrap1(B.b, B.n, stream);
	TA_CHECK_EQ(ta_parse_server_hello(stream, n, &sh), TA_TLS_ESTABLISHED);
	TA_CHECK(!sh.hrr && sh.group == 0x11ec && sh.version == 0x0304, "pq server hello");
	json_of(NULL, &sh, json, sizeof(json));
	TA_CHECK(contains(json, "\"group\":\"X25519MLKEM768\""), "%s", json);
	ta_case_end();
}

static void test_json(void)
{
	static uint8_t cbuf[FIXTURE_MAX], sbuf[FIXTURE_MAX];
	static const char want13[] =
		"\"tls\":{\"sni\":\"srv.test\",\"alpn\":[\"h2\",\"http/1.1\"],"
		"\"offered\":[\"1.3\"],\"version\":\"1.3\",\"cipher\":\"TLS_AES_256_GCM_SHA384\","
		"\"groups\":[\"x25519\","
		"\"secp256r1\",\"x448\",\"secp521r1\",\"secp384r1\",\"ffdhe2048\",\"ffdhe3072\","
		"\"ffdhe4096\",\"ffdhe6144\",\"ffdhe8192\"],\"key_shares\":[\"x25519\"],"
		"\"group\":\"x25519\",\"pq\":false,\"ech\":false,"
		"\"ja4\":\"t13d0411h2_16476d049b0b_303c7117418d\",\"handshake\":\"established\"}";
	static const char *const hostile_alpn[] = { "\x04\"\\\x0a\xff" };
	static const uint16_t v10[] = { 0x0302 };
	struct ta_client_hello ch;
	struct ta_server_hello sh;
	struct strbuf sb;
	char json[4096], tiny[16];
	long cn, sn;

	ta_case_begin("json: fixtures, escaping, obsolete, truncated, bounds");
	cn = load_fixture("curl-tls13", "clienthello", cbuf, sizeof(cbuf));
	sn = load_fixture("curl-tls13", "serverhello", sbuf, sizeof(sbuf));
	ta_parse_client_hello(cbuf, (size_t)cn, &ch);
	ta_parse_server_hello(sbuf, (size_t)sn, &sh);
	json_of(&ch, &sh, json, sizeof(json));
	TA_CHECK(!strcmp(json, want13), "curl-tls13:\n got %s\nwant %s", json, want13);

	cn = load_fixture("openssl-tls12", "clienthello", cbuf, sizeof(cbuf));
	sn = load_fixture("openssl-tls12", "serverhello", sbuf, sizeof(sbuf));
	ta_parse_client_hello(cbuf, (size_t)cn, &ch);
	ta_parse_server_hello(sbuf, (size_t)sn, &sh);
	json_of(&ch, &sh, json, sizeof(json));
	TA_CHECK(contains(json, "\"offered\":[\"1.2\"]") && contains(json, "\"version\":\"1.2\"") &&
			 contains(json, "\"cipher\":\"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\"") &&
			 contains(json, "\"alpn_chosen\":\"http/1.1\"") &&
			 !contains(json, "obsolete") && !contains(json, "\"group\""),
		 "tls12: %s", json);

	/* with no answer yet, and with a truncated hello */
	json_of(&ch, NULL, json, sizeof(json));
	TA_CHECK(!contains(json, "handshake") && !contains(json, "\"version\"") &&
			 contains(json, "\"ja4\":\"t12d2808h2_"),
		 "no answer: %s", json);
	ta_parse_client_hello(cbuf, (size_t)cn - 20, &ch);
	json_of(&ch, NULL, json, sizeof(json));
	TA_CHECK(contains(json, "\"truncated\":true"), "truncated: %s", json);

	/* hostile SNI and ALPN bytes cannot break out of their strings */
	ch_begin(&B, 0x0303, spec_ciphers, 1);
	ext_sni(&B, "a\"b\\c\nd\xff", 8);
	ext_alpn(&B, hostile_alpn, 1);
	ch_end(&B);
	parse_b(&ch);
	json_of(&ch, NULL, json, sizeof(json));
	TA_CHECK(contains(json, "\"sni\":\"a\\\"b\\\\c\\u000ad\\ufffd\"") &&
			 contains(json, "\"alpn\":[\"\\\"\\\\\\u000a\\ufffd\"]"),
		 "escaping: %s", json);

	/* obsolete: a TLS 1.0-only client; a 1.3 client that got TLS 1.1 */
	ch_begin(&B, 0x0301, spec_ciphers, 1);
	ch_end(&B);
	parse_b(&ch);
	json_of(&ch, NULL, json, sizeof(json));
	TA_CHECK(contains(json, "\"offered\":[\"1.0\"]") && contains(json, "\"obsolete\":true"),
		 "tls1.0 client: %s", json);
	ch_begin(&B, 0x0303, spec_ciphers, 1);
	ext_versions(&B, v10, 1);
	ch_end(&B);
	parse_b(&ch);
	json_of(&ch, NULL, json, sizeof(json));
	TA_CHECK(contains(json, "\"obsolete\":true"), "offers 1.1 at best: %s", json);
	memset(&sh, 0, sizeof(sh));
	sh.kind = TA_TLS_ESTABLISHED;
	sh.has_version = 1;
	sh.version = 0x0302;
	cn = load_fixture("python", "clienthello", cbuf, sizeof(cbuf));
	ta_parse_client_hello(cbuf, (size_t)cn, &ch);
	json_of(&ch, &sh, json, sizeof(json));
	TA_CHECK(contains(json, "\"version\":\"1.1\"") && contains(json, "\"obsolete\":true"),
		 "negotiated 1.1: %s", json);
	sh.version = 0x7f1c; /* unnamed versions print as hex */
	json_of(&ch, &sh, json, sizeof(json));
	TA_CHECK(contains(json, "\"version\":\"0x7f1c\""), "hex version: %s", json);

	/* nothing known */
	json_of(NULL, NULL, json, sizeof(json));
	TA_CHECK(!strcmp(json, "\"tls\":{}"), "empty: %s", json);

	/* a buffer too small: cut, flagged, terminated */
	sb_init(&sb, tiny, sizeof(tiny));
	ta_tls_json(&sb, &ch, &sh);
	TA_CHECK(sb.overflow && strlen(tiny) == sizeof(tiny) - 1, "tiny buffer");
	ta_case_end();
}

/* xorshift32: a fixed sequence, so a failure reproduces */
static uint32_t rng_state = 0x2545f491;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void test_mutation_sweep(void)
{
	static uint8_t fx[2 * ARRAY_SIZE(ch_facts)][FIXTURE_MAX];
	static long fxlen[2 * ARRAY_SIZE(ch_facts)];
	static uint8_t buf[FIXTURE_MAX];
	struct ta_client_hello ch;
	struct ta_server_hello sh;
	struct strbuf sb;
	char ja4[64], raw[512], json[TA_TLS_JSON_MAX];
	unsigned int i, it, bad = 0;

	ta_case_begin("robustness: 30000 fixed-seed mutations of the fixtures");
	for (i = 0; i < ARRAY_SIZE(ch_facts); i++) {
		const char *name = ch_facts[i].name;

		fxlen[2 * i] = load_fixture(name, "clienthello", fx[2 * i], FIXTURE_MAX);
		fxlen[2 * i + 1] = load_fixture(name, "serverhello", fx[2 * i + 1], FIXTURE_MAX);
	}
	for (it = 0; it < 30000; it++) {
		unsigned int f = rng() % (2 * ARRAY_SIZE(ch_facts)), m, nm = 1 + rng() % 4;
		size_t len = fxlen[f] > 0 ? (size_t)fxlen[f] : 0;
		uint8_t *p;

		memcpy(buf, fx[f], len);
		for (m = 0; m < nm && len; m++) {
			size_t at = rng() % len;

			switch (rng() % 5) {
			case 0:
				buf[at] ^= (uint8_t)(1u << (rng() % 8));
				break;
			case 1:
				buf[at] = (uint8_t)rng();
				break;
			case 2:
				buf[at] = 0xff;
				break;
			case 3:
				buf[at] = 0x00;
				break;
			case 4:
				len = at + 1;
				break; /* cut */
			}
		}
		p = malloc(len ? len : 1);
		memcpy(p, buf, len);
		ta_parse_client_hello(p, len, &ch);
		ta_parse_server_hello(p, len, &sh);
		free(p);
		ta_ja4(&ch, 0, ja4);
		ta_ja4_raw(&ch, 0, raw, sizeof(raw));
		sb_init(&sb, json, sizeof(json));
		ta_tls_json(&sb, &ch, &sh);
		if (ch.n_ciphers > TA_TLS_MAX_CIPHERS || ch.n_exts > TA_TLS_MAX_EXTS ||
		    ch.n_groups > TA_TLS_MAX_GROUPS || ch.n_versions > TA_TLS_MAX_VERSIONS ||
		    ch.n_sigalgs > TA_TLS_MAX_SIGALGS || ch.n_key_shares > TA_TLS_MAX_KEY_SHARES ||
		    ch.n_alpn > TA_TLS_ALPN_MAX || ch.sni_len > TA_TLS_SNI_MAX ||
		    ch.body_len > TA_TLS_HS_MAX || strlen(ja4) != TA_JA4_LEN ||
		    sh.n_exts > TA_TLS_SH_MAX_EXTS || sh.banner_len > TA_TLS_BANNER_MAX ||
		    sb.overflow || json[sb.len] != '\0')
			bad++;
	}
	TA_CHECK_EQ(bad, 0);
	ta_case_end();
}

int main(void)
{
	size_t i;

	test_sha256();
	test_grease_and_names();
	for (i = 0; i < ARRAY_SIZE(ch_facts); i++)
		test_fixture_client(&ch_facts[i]);
	for (i = 0; i < ARRAY_SIZE(sh_facts); i++)
		test_fixture_server(&sh_facts[i]);
	test_ja4_spec_example();
	test_ja4_sigalg_grease();
	test_ja4_vectors();
	test_ja4_alpn_rules();
	test_ja4_empty_and_caps();
	test_ext_past_end();
	test_zero_length_sni();
	test_200_extensions();
	test_grease_everywhere();
	test_16k_two_records();
	test_split_records();
	test_record_stream_oddities();
	test_ech_and_pq();
	test_prefixes();
	test_server_answers();
	test_hello_retry_request();
	test_json();
	test_mutation_sweep();
	TA_TEST_EXIT();
}
