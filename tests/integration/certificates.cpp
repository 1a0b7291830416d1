#include "tests/integration/certificates.hpp"

#include <stdexcept>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace cgw::testing {

std::string to_pem(X509* x) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), x);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string to_pem(EVP_PKEY* k) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

cert_ptr make_cert(EVP_PKEY* key, const std::string& cn, const std::string& san, const authority* issuer,
                   long from_s, long to_s) {
  static long serial = 1;
  cert_ptr x(X509_new(), X509_free);
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), from_s);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), to_s);
  X509_set_pubkey(x.get(), key);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer->cert.get()) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer->cert.get() : x.get(), x.get(), nullptr, nullptr, 0);
  auto add = [&](int nid, const std::string& value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (!ext) throw std::runtime_error("cannot make extension " + value);
    X509_add_ext(x.get(), ext, -1);
    X509_EXTENSION_free(ext);
  };
  add(NID_subject_key_identifier, "hash");
  if (san.empty()) {
    add(NID_basic_constraints, "critical,CA:TRUE");
    add(NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add(NID_basic_constraints, "CA:FALSE");
    add(NID_subject_alt_name, san);
    add(NID_ext_key_usage, "serverAuth");
  }
  if (X509_sign(x.get(), issuer ? issuer->key.get() : key, EVP_sha256()) == 0)
    throw std::runtime_error("cannot sign");
  return x;
}

key_ptr new_key() {
  return key_ptr(EVP_EC_gen("P-256"), EVP_PKEY_free);
}

authority make_ca(const std::string& cn) {
  authority ca;
  ca.key = new_key();
  ca.cert = make_cert(ca.key.get(), cn, "", nullptr, -3600, 86400);
  return ca;
}

pem server_cert(const authority& ca, const std::string& san, long from_s, long to_s) {
  auto key = new_key();
  auto cert = make_cert(key.get(), "vendor", san, &ca, from_s, to_s);
  return {to_pem(cert.get()), to_pem(key.get())};
}

}  // namespace cgw::testing
