// Twilio's list envelope read from its events, shared by the two Twilio adapters (a vendor rule:
// it stays in adapters/).
#pragma once

#include "gateway/adapter/fields.hpp"
#include "gateway/adapter/json_events.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace cgw::adapters {

// An answer {<records>: [...], meta: {key, <next>}} whose records' key meta.key names (Twilio's
// envelope): every top-level array is read by its own copy of `blank` (events with paths from the
// array) and kept until the end, since meta may come after the records. A later value of a key
// replaces its earlier one, as in the DOM.
template <class Array>
class meta_keyed_answer final : public adapter::json_events {
 public:
  // `next`: the member of meta that leads to the next page.
  meta_keyed_answer(Array blank, std::string_view next) : blank_(std::move(blank)), next_member_(next) {}

  void on_value(adapter::json_path path, const adapter::json_scalar& v) override {
    if (!adapter::record_member(path, v, envelope_)) return;
    if (path.size() == 1) {
      current_ = nullptr;
      if (v.is(adapter::json_scalar::kind::array))
        current_ = &arrays_.insert_or_assign(std::string(path[0].key), blank_).first->second;
      else if (auto it = arrays_.find(path[0].key); it != arrays_.end())
        arrays_.erase(it);
    } else if (current_) {
      current_->on_value(path.subspan(1), v);
    }
    if (path[0].key != "meta") return;
    if (path.size() == 1)
      key_.reset(), next_.reset();  // a later meta replaces an earlier one
    else if (path.size() == 2 && path[1].key == "key")
      key_ = adapter::text_of(v);
    else if (path.size() == 2 && path[1].key == next_member_)
      next_ = adapter::text_of(v);
  }
  void on_end(adapter::json_path path) override {
    if (path.size() >= 2 && current_) current_->on_end(path.subspan(1));
  }

  bool is_object() const noexcept { return envelope_; }
  // meta.key and meta.<next> as text (strings and integers), when meta says them.
  const std::optional<std::string>& key() const noexcept { return key_; }
  std::optional<std::string>& next() noexcept { return next_; }
  // The array at `key`, or nullptr when the answer has no array there.
  Array* find(std::string_view key) {
    auto it = arrays_.find(key);
    return it == arrays_.end() ? nullptr : &it->second;
  }

 private:
  Array blank_;
  std::string_view next_member_;
  bool envelope_ = false;
  std::map<std::string, Array, std::less<>> arrays_;
  Array* current_ = nullptr;
  std::optional<std::string> key_, next_;
};

}  // namespace cgw::adapters
