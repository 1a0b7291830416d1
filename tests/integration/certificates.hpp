// Certificates made at test time with OpenSSL's C API, kept as PEM: a CA, and server
// certificates it signs (or not), valid when asked. For the TLS tests of vendors and Redis.
#pragma once

#include <memory>
#include <string>

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace cgw::testing {

struct pem {
  std::string cert, key;
};

using key_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using cert_ptr = std::unique_ptr<X509, decltype(&X509_free)>;

std::string to_pem(X509* x);
std::string to_pem(EVP_PKEY* k);

struct authority {
  key_ptr key{nullptr, EVP_PKEY_free};
  cert_ptr cert{nullptr, X509_free};
};

// A certificate for `key`: a CA when `san` is empty, else a server certificate for `san`
// ("IP:127.0.0.1,DNS:localhost"), valid from `from_s` to `to_s` seconds from now, signed by
// `issuer` (itself when null). Throws std::runtime_error when OpenSSL refuses.
cert_ptr make_cert(EVP_PKEY* key, const std::string& cn, const std::string& san, const authority* issuer,
                   long from_s, long to_s);
key_ptr new_key();
authority make_ca(const std::string& cn);
pem server_cert(const authority& ca, const std::string& san, long from_s, long to_s);

}  // namespace cgw::testing
