#include "gateway/adapter/json_events.hpp"

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>

namespace cgw::adapter {
namespace {

namespace json = boost::json;

constexpr int max_depth = 64;  // vendor_body::parse's limit

// The path of the value being read, kept up to date item by item (a value's path is handed to the
// reader as it is, not rebuilt). A key that lies in the text being parsed (unescaped, as nearly
// every key is) is viewed there, the text outliving the parse; any other key (escaped, assembled
// from parts) is copied into its frame, the parser's views lasting one callback. Both vectors are
// reserved to the depth limit, so a copied key's view into its frame does not move.
class path_stack {
 public:
  explicit path_stack(std::string_view text) : text_(text) {
    frames_.reserve(max_depth + 1);
    items_.reserve(max_depth + 1);
  }
  void push_container(bool array) {
    const frame* before = frames_.data();
    frames_.push_back({array, {}, 0});
    items_.push_back({{}, 0, array});
    if (frames_.data() != before)  // past the reserve after all: copied keys moved with their frames
      for (std::size_t n = 0; n + 1 < frames_.size(); ++n)
        if (!in_text(items_[n].key)) items_[n].key = frames_[n].key;
  }
  void pop_container() {
    frames_.pop_back();
    items_.pop_back();
  }
  void set_key(std::string_view k) {
    if (in_text(k)) {
      items_.back().key = k;
      return;
    }
    frames_.back().key.assign(k.data(), k.size());
    items_.back().key = frames_.back().key;
  }
  // The path of the value that begins now (the next element of an enclosing array).
  json_path next_value() {
    if (!frames_.empty() && frames_.back().array) items_.back().index = frames_.back().elements++;
    return build();
  }
  // The path of the container just popped.
  json_path build() const { return {items_.data(), items_.size()}; }

 private:
  bool in_text(std::string_view k) const noexcept {
    return std::less_equal<>()(text_.data(), k.data()) &&
           std::less_equal<>()(k.data() + k.size(), text_.data() + text_.size());
  }

  struct frame {
    bool array;
    std::string key;       // an object's current member, when copied
    std::size_t elements;  // an array's elements begun so far
  };
  std::string_view text_;
  std::vector<frame> frames_;
  std::vector<path_item> items_;
};

struct handler {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  // basic_parser makes its handler with parentheses: clang 14 has no aggregate init from them.
  handler(json_events* r, path_stack p) : reader(r), path(std::move(p)) {}

  json_events* reader;
  path_stack path;
  std::string key_part, string_part;  // a key or string the parser hands over in pieces

  void value(const json_scalar& v) { reader->on_value(path.next_value(), v); }
  bool scalar(json_scalar v) {
    value(v);
    return true;
  }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    value({json_scalar::kind::object});
    path.push_container(false);
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) { return end(); }
  bool on_array_begin(json::error_code&) {
    value({json_scalar::kind::array});
    path.push_container(true);
    return true;
  }
  bool on_array_end(std::size_t, json::error_code&) { return end(); }
  bool end() {
    path.pop_container();
    reader->on_end(path.build());
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key_part.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    if (key_part.empty()) {
      path.set_key(s);
    } else {
      key_part.append(s.data(), s.size());
      path.set_key(key_part);
      key_part.clear();
    }
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    string_part.append(s.data(), s.size());
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    json_scalar v{json_scalar::kind::string};
    if (string_part.empty()) {
      v.s = s;
      return scalar(v);
    }
    string_part.append(s.data(), s.size());
    v.s = string_part;
    scalar(v);
    string_part.clear();
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    json_scalar v{json_scalar::kind::int64};
    v.i = i;
    return scalar(v);
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    json_scalar v{json_scalar::kind::uint64};
    v.u = u;
    return scalar(v);
  }
  bool on_double(double d, json::string_view, json::error_code&) {
    json_scalar v{json_scalar::kind::number};
    v.d = d;
    return scalar(v);
  }
  bool on_bool(bool b, json::error_code&) {
    json_scalar v{json_scalar::kind::boolean};
    v.b = b;
    return scalar(v);
  }
  bool on_null(json::error_code&) { return scalar({json_scalar::kind::null}); }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

}  // namespace
result<void> read_events(std::string_view text, json_events& reader) {
  json::parse_options opt;
  opt.max_depth = max_depth;
  json::basic_parser<handler> p(opt, &reader, path_stack(text));
  json::error_code ec;
  const std::size_t n = p.write_some(false, text.data(), text.size(), ec);
  if (ec || n != text.size())
    return failure::make(errc::upstream_error, "the vendor's answer is not valid JSON");
  return {};
}

json_scalar scalar_of(const json::value& v) noexcept {
  using k = json_scalar::kind;
  json_scalar s;
  switch (v.kind()) {
    case json::kind::null:
      s.k = k::null;
      break;
    case json::kind::bool_:
      s.k = k::boolean, s.b = v.get_bool();
      break;
    case json::kind::int64:
      s.k = k::int64, s.i = v.get_int64();
      break;
    case json::kind::uint64:
      s.k = k::uint64, s.u = v.get_uint64();
      break;
    case json::kind::double_:
      s.k = k::number, s.d = v.get_double();
      break;
    case json::kind::string:
      s.k = k::string, s.s = v.get_string();
      break;
    case json::kind::object:
      s.k = k::object;
      break;
    case json::kind::array:
      s.k = k::array;
      break;
  }
  return s;
}

namespace {

void replay_into(const json::value& v, json_events& reader, std::vector<path_item>& path) {
  reader.on_value(path, scalar_of(v));
  if (const json::object* o = v.if_object()) {
    for (const auto& m : *o) {
      path.push_back({m.key(), 0, false});
      replay_into(m.value(), reader, path);
      path.pop_back();
    }
    reader.on_end(path);
  } else if (const json::array* a = v.if_array()) {
    for (std::size_t i = 0; i < a->size(); ++i) {
      path.push_back({{}, i, true});
      replay_into((*a)[i], reader, path);
      path.pop_back();
    }
    reader.on_end(path);
  }
}

}  // namespace

void replay(const json::value& v, json_events& reader, json_path at) {
  std::vector<path_item> path(at.begin(), at.end());
  replay_into(v, reader, path);
}

}  // namespace cgw::adapter
