// What a handler answers: a status, a JSON body and extra headers. The one place
// where a failure becomes an HTTP status and the error body of the spec.
#pragma once

#include "gateway/core/error.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

namespace cgw::api {

struct answer {
  unsigned status = 200;
  boost::json::object body;
  std::vector<std::pair<std::string, std::string>> headers;
  // The body's leading members, already written as JSON text (`"data":[...]`, or the members of
  // one record): records go from the handler into the answer's bytes without a DOM. The members
  // of `body` (meta, errors: small, and what the access log reads) follow them.
  std::string members;
  // What computing the answer left behind (the vendors' records it was cut from): released once
  // the answer is written, since freeing thousands of strings is not the client's wait. Never
  // kept with a shared answer.
  std::shared_ptr<void> spent;
};

// The body as JSON text: `members`, then those of `body`, in one object.
std::string body_text(const answer& a);

// {"error": {code, message, parameter?, request_id}} with the failure's status
// (and Retry-After for rate limits).
answer error_answer(const failure& f, std::string_view request_id);

}  // namespace cgw::api
