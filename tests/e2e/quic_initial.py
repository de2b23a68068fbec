#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""
quic_initial.py - send one UDP datagram to HOST:PORT, for the tlsaudit e2e
tests (tests/e2e/test_tls_intel.sh).

    quic_initial.py KIND HOST PORT [--sendto]

KIND
  v1       the client Initial of RFC 9001 Appendix A.2, byte for byte: the
           packet is rebuilt here (HKDF, AES-128-GCM payload protection,
           AES-128-ECB header protection, through libcrypto with ctypes) from
           the RFC's CRYPTO frame and DCID, and checked against the RFC's
           protected header, sample and final tag before it is sent
  v2       the same ClientHello as a QUIC v2 Initial (RFC 9369 Appendix A.2:
           version 0x6b3343cf, Initial type 0b01, v2 salt and labels), checked
           against the RFC's protected header and first 32 bytes
  draft29  the same as a draft-29 Initial (version 0xff00001d, draft salt)
  random   1200 pseudo-random bytes (fixed seed) whose first byte (0x01) is
           neither TLS, SSLv2, QUIC nor printable
  hello    "hello\\n"

By default the socket is connect()ed and the datagram sent with send(); with
--sendto the socket stays unconnected and sendto() is used.

Prints "pid=N" and "sport=N" on stderr and "sent N bytes" on stdout. Nothing is
read back (no server is expected; an ICMP port-unreachable is fine).
"""
import ctypes
import ctypes.util
import hashlib
import hmac
import os
import random
import socket
import sys

# ----------------------------------------------------------------- crypto

_lib = ctypes.CDLL(ctypes.util.find_library("crypto") or "libcrypto.so.3")
_lib.EVP_CIPHER_CTX_new.restype = ctypes.c_void_p
_lib.EVP_CIPHER_CTX_free.argtypes = [ctypes.c_void_p]
_lib.EVP_aes_128_gcm.restype = ctypes.c_void_p
_lib.EVP_aes_128_ecb.restype = ctypes.c_void_p
_lib.EVP_EncryptInit_ex.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                    ctypes.c_char_p, ctypes.c_char_p]
_lib.EVP_EncryptUpdate.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                   ctypes.POINTER(ctypes.c_int), ctypes.c_char_p, ctypes.c_int]
_lib.EVP_EncryptFinal_ex.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]
_lib.EVP_CIPHER_CTX_ctrl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
_lib.EVP_CIPHER_CTX_set_padding.argtypes = [ctypes.c_void_p, ctypes.c_int]

EVP_CTRL_GCM_SET_IVLEN = 0x9
EVP_CTRL_GCM_GET_TAG = 0x10


def _check(ok, what):
    if ok != 1:
        raise RuntimeError("libcrypto: %s failed" % what)


def aes128_gcm_encrypt(key, iv, aad, pt):
    ctx = _lib.EVP_CIPHER_CTX_new()
    try:
        outl = ctypes.c_int(0)
        _check(_lib.EVP_EncryptInit_ex(ctx, _lib.EVP_aes_128_gcm(), None, None, None), "init")
        _check(_lib.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, len(iv), None), "ivlen")
        _check(_lib.EVP_EncryptInit_ex(ctx, None, None, key, iv), "key")
        _check(_lib.EVP_EncryptUpdate(ctx, None, ctypes.byref(outl), aad, len(aad)), "aad")
        out = ctypes.create_string_buffer(len(pt) + 16)
        _check(_lib.EVP_EncryptUpdate(ctx, out, ctypes.byref(outl), pt, len(pt)), "update")
        n = outl.value
        fin = ctypes.create_string_buffer(16)
        _check(_lib.EVP_EncryptFinal_ex(ctx, fin, ctypes.byref(outl)), "final")
        tag = ctypes.create_string_buffer(16)
        _check(_lib.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag), "tag")
        return out.raw[:n] + fin.raw[:outl.value] + tag.raw
    finally:
        _lib.EVP_CIPHER_CTX_free(ctx)


def aes128_ecb_block(key, block):
    ctx = _lib.EVP_CIPHER_CTX_new()
    try:
        outl = ctypes.c_int(0)
        _check(_lib.EVP_EncryptInit_ex(ctx, _lib.EVP_aes_128_ecb(), None, key, None), "ecb init")
        _lib.EVP_CIPHER_CTX_set_padding(ctx, 0)
        out = ctypes.create_string_buffer(32)
        _check(_lib.EVP_EncryptUpdate(ctx, out, ctypes.byref(outl), block, len(block)), "ecb")
        return out.raw[:16]
    finally:
        _lib.EVP_CIPHER_CTX_free(ctx)


def hkdf_extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand_label(secret, label, length):
    full = b"tls13 " + label
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + b"\x00"
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(secret, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


# ----------------------------------------------------------------- RFC 9001 A.2

DCID = bytes.fromhex("8394c8f03e515708")
# The CRYPTO frame of RFC 9001 A.2 (and RFC 9369 A.2): a ClientHello for
# example.com, ALPN "alpn", TLS 1.3 only, with QUIC transport parameters.
CRYPTO_FRAME = bytes.fromhex(
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
    "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
    "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
    "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
    "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
    "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
    "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
    "75300901100f088394c8f03e51570806048000ffff")
PAYLOAD_LEN = 1162  # CRYPTO frame + PADDING, as in the RFC
PN = 2

VERSIONS = {
    # name: (version, Initial type bits, salt, label prefix, expected checks)
    "v1": (0x00000001, 0, "38762cf7f55934b34d179ae6a4c80cadccbb7f0a", b"quic",
           {"header": "c000000001088394c8f03e5157080000449e7b9aec34",
            "prefix": "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11d242b123dc9b",
            "tag": "e221af44860018ab0856972e194cd934"}),
    "v2": (0x6b3343cf, 1, "0dede3def700a6db819381be6e269dcbf9bd2ed9", b"quicv2",
           {"header": "d76b3343cf088394c8f03e5157080000449ea0c95e82",
            "prefix": "d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485"}),
    "draft29": (0xff00001d, 0, "afbfec289993d24c9e9786f19c6111e04390a899", b"quic", {}),
}


def client_initial(kind):
    version, itype, salt, prefix, want = VERSIONS[kind]
    initial = hkdf_extract(bytes.fromhex(salt), DCID)
    client = hkdf_expand_label(initial, b"client in", 32)
    key = hkdf_expand_label(client, prefix + b" key", 16)
    iv = hkdf_expand_label(client, prefix + b" iv", 12)
    hp = hkdf_expand_label(client, prefix + b" hp", 16)

    pn_len = 4
    payload = CRYPTO_FRAME + b"\x00" * (PAYLOAD_LEN - len(CRYPTO_FRAME))
    length = pn_len + len(payload) + 16            # packet number + payload + tag
    first = 0xc0 | (itype << 4) | (pn_len - 1)
    header = (bytes([first]) + version.to_bytes(4, "big") + bytes([len(DCID)]) + DCID
              + b"\x00"                                # SCID length 0
              + b"\x00"                                # token length 0 (varint)
              + (0x4000 | length).to_bytes(2, "big")   # 2-byte varint length
              + PN.to_bytes(pn_len, "big"))
    pn_off = len(header) - pn_len
    nonce = bytes(a ^ b for a, b in zip(iv, PN.to_bytes(12, "big")))
    sealed = aes128_gcm_encrypt(key, nonce, header, payload)
    sample = sealed[4 - pn_len:4 - pn_len + 16]
    mask = aes128_ecb_block(hp, sample)
    prot = bytearray(header)
    prot[0] ^= mask[0] & 0x0f
    for i in range(pn_len):
        prot[pn_off + i] ^= mask[1 + i]
    pkt = bytes(prot) + sealed

    if "header" in want and bytes(prot).hex() != want["header"]:
        raise SystemExit("quic_initial: %s protected header %s != RFC %s"
                         % (kind, bytes(prot).hex(), want["header"]))
    if "prefix" in want and not pkt.hex().startswith(want["prefix"]):
        raise SystemExit("quic_initial: %s packet does not start like the RFC's" % kind)
    if "tag" in want and pkt[-16:].hex() != want["tag"]:
        raise SystemExit("quic_initial: %s tag %s != RFC %s" % (kind, pkt[-16:].hex(), want["tag"]))
    if len(pkt) != 1200:
        raise SystemExit("quic_initial: %s packet is %d bytes, want 1200" % (kind, len(pkt)))
    return pkt


def datagram(kind):
    if kind in VERSIONS:
        return client_initial(kind)
    if kind == "random":
        rnd = random.Random(20261128)
        return b"\x01" + bytes(rnd.getrandbits(8) for _ in range(1199))
    if kind == "hello":
        return b"hello\n"
    raise SystemExit("quic_initial: unknown kind %r" % kind)


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    use_sendto = "--sendto" in argv
    if len(args) != 3:
        sys.stderr.write(__doc__)
        return 2
    kind, host, port = args[0], args[1], int(args[2])
    data = datagram(kind)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    sys.stderr.write("pid=%d\n" % os.getpid())
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        if use_sendto:
            n = s.sendto(data, (host, port))
        else:
            s.connect((host, port))
            n = s.send(data)
        sys.stderr.write("sport=%d\n" % s.getsockname()[1])
    sys.stdout.write("sent %d bytes\n" % n)
    return 0 if n == len(data) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
