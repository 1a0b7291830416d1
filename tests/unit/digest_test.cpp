#include "gateway/core/digest.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace cgw::digest {
namespace {

TEST(Digest, Sha256KnownAnswers) {  // FIPS 180-2 appendix B
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Digest, Sha1KnownAnswer) {  // FIPS 180-2 appendix A
  EXPECT_EQ(hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(Digest, FramedPartsNeverCollideByShifting) {
  EXPECT_NE(sha256_framed({"ab", "c"}), sha256_framed({"a", "bc"}));
  EXPECT_NE(sha256_framed({"abc"}), sha256("abc"));
  EXPECT_EQ(sha256_framed({"a", "bc"}), sha256_framed({"a", "bc"}));
}

TEST(Digest, HmacSha256KnownAnswers) {  // RFC 4231 test cases 1 and 2
  EXPECT_EQ(hex(hmac_sha256(std::string(20, '\x0b')).sign("Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hex(hmac_sha256("Jefe").sign("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Digest, OneKeyedMacSignsTheSameOnEveryThread) {
  const hmac_sha256 mac("Jefe");
  const auto expected = mac.sign("what do ya want for nothing?");
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) mismatches[t] += mac.sign("what do ya want for nothing?") != expected;
    });
  for (auto& t : threads) t.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

TEST(Digest, Base64RoundTripsEveryLength) {  // RFC 4648 section 10
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64url("\xfb\xff"), "-_8");
  for (std::size_t n = 0; n < 40; ++n) {
    std::string bytes;
    for (std::size_t i = 0; i < n; ++i) bytes += static_cast<char>(i * 37 + 250);
    EXPECT_EQ(from_base64(base64(bytes)), bytes) << n;
    EXPECT_EQ(from_base64url(base64url(bytes)), bytes) << n;
  }
}

TEST(Digest, RefusesWhatIsNotItsAlphabetOrLength) {
  EXPECT_FALSE(from_base64("Zm9"));       // not a multiple of 4
  EXPECT_FALSE(from_base64("Zm=v"));      // padding inside
  EXPECT_FALSE(from_base64("Zm9v!!!!"));  // not base64
  EXPECT_FALSE(from_base64url("Zm8="));   // padding is not URL-safe base64's
  EXPECT_FALSE(from_base64url("+/8"));    // the standard alphabet's own characters
  EXPECT_FALSE(from_base64url("A"));      // no length leaves one character over
}

}  // namespace
}  // namespace cgw::digest
