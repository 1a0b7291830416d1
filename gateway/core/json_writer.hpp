// A streaming JSON writer: appends a document to a std::string as its parts are named, with
// no json::value tree in between (the answer's records go from `conversation` into the bytes
// of the reply).
//
// Hand-written: Boost.JSON 1.81 serializes only a finished DOM (no writer API for building a
// document), simdjson 3.0.1 has no public writer, and Debian's RapidJSON (1.1.0, released 2016)
// asserts on NaN instead of writing null and formats doubles with Grisu2 rather than the
// shortest round-trip form. What is written matches Boost.JSON's serializer value for value:
// the same escapes (`"`, `\`, and control characters; everything else, non-ASCII UTF-8
// included, passes through unchanged), so `json::parse(written)` equals the DOM built for it.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

namespace cgw {

class json_writer {
 public:
  // Appends to `out`; what it already holds stays in front. `out` holds exactly the text
  // written whenever no container is open (and when the writer is gone); while one is open, it
  // may also hold room beyond it.
  explicit json_writer(std::string& out) noexcept : out_(out), start_(out.size()), len_(out.size()) {}
  ~json_writer();
  json_writer(const json_writer&) = delete;
  json_writer& operator=(const json_writer&) = delete;

  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  // Members of an object whose braces are written by someone else (an answer's pre-written
  // members): like begin_object/end_object, without the braces.
  void begin_members();
  void end_members();

  // The next member's name; the value written next is its value. The writer places commas.
  void key(std::string_view name);
  // The same for a name that needs no escaping (the caller's own literals): written as it is.
  void plain_key(std::string_view name);

  void string(std::string_view s);
  void null();
  void boolean(bool b);
  void int64(std::int64_t n);
  void uint64(std::uint64_t n);
  // The shortest text that reads back as `d`, always with a fraction or exponent (so that it
  // reads back as a double, not an integer); a non-finite double, which JSON cannot hold, is null.
  void number(double d);

  // A value already written as JSON text, spliced in as it is (the caller vouches for it).
  void raw(std::string_view json);
  // Members already written as JSON text (`"a":1,"b":2`, possibly empty), spliced into the
  // object being written.
  void raw_members(std::string_view members);
  // A Boost.JSON value or object, written in place (the small parts still built as a DOM); as
  // number() does, a non-finite double is null.
  void dom(const boost::json::value& v);
  void dom(const boost::json::object& o);

 private:
  void separate();  // the comma before a value or a key, unless it is the first or follows a key
  void escaped(std::string_view s);
  void settle();  // trims `out_` to the text when nothing is open

  // `n` bytes of room at the end of the text, to be counted into len_ once written. The text
  // grows inside `out_` (resized ahead, geometrically): one bounds check per piece, not a
  // std::string append per piece.
  char* room(std::size_t n) {
    if (out_.size() - len_ < n) grow(n);
    return out_.data() + len_;
  }
  void grow(std::size_t n);
  void put(char c) {
    *room(1) = c;
    ++len_;
  }
  void put(const char* p, std::size_t n) {
    std::memcpy(room(n), p, n);
    len_ += n;
  }

  std::string& out_;
  std::size_t start_;        // what out_ held before this writer
  std::size_t len_;          // the text written so far: out_[0, len_)
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace cgw
