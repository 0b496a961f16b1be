// Fuzz target: one line from an untrusted local client through
// broker::ParseRequest (the broker runs as root), and the same bytes through
// broker::ParseReply (what the client reads back). Invariants checked
// (abort when broken):
//   - a refused request comes with a short, non-empty message (hostile input
//     is never echoed at length);
//   - an accepted request names a valid domain exactly when its op acts on
//     one, and EncodeRequest then ParseRequest gives the same request, on one
//     line within kMaxRequestBytes;
//   - ParseReply either returns or throws core::Error; what it returns
//     encodes to a line that parses back and encodes the same again.
// Any other exception, a crash, a sanitizer report, a leak or a hang is a bug.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "broker_client/protocol.h"
#include "core/error.h"
#include "fuzz_check.h"

namespace {

// The longest refusal: a fixed text around a quote of at most 40 bytes,
// each of which JSON-escapes to at most 6 characters.
constexpr size_t kMaxErrorLength = 400;

bool NeedsDomain(broker::Op op) {
  return op != broker::Op::kWhoami && op != broker::Op::kList;
}

void CheckRequest(const std::string& line) {
  std::string error;
  std::optional<broker::Request> request = broker::ParseRequest(line, &error);
  if (!request) {
    FUZZ_CHECK(!error.empty());
    FUZZ_CHECK(error.size() <= kMaxErrorLength);
    return;
  }
  FUZZ_CHECK(line.size() <= broker::kMaxRequestBytes);
  if (NeedsDomain(request->op)) {
    FUZZ_CHECK(broker::IsDomainName(request->domain));
  } else {
    FUZZ_CHECK(request->domain.empty());
  }
  const std::string encoded = broker::EncodeRequest(*request);
  FUZZ_CHECK(encoded.find('\n') == std::string::npos);
  FUZZ_CHECK(encoded.size() <= broker::kMaxRequestBytes);
  std::string again_error;
  std::optional<broker::Request> again = broker::ParseRequest(encoded, &again_error);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->op == request->op);
  FUZZ_CHECK(again->domain == request->domain);
}

void CheckReply(const std::string& line) {
  broker::Reply reply;
  try {
    reply = broker::ParseReply(line);
  } catch (const core::Error&) {
    return;  // the documented refusal
  }
  const std::string encoded = broker::EncodeReply(reply);
  FUZZ_CHECK(encoded.find('\n') == std::string::npos);
  broker::Reply again = broker::ParseReply(encoded);  // must not throw
  FUZZ_CHECK(broker::EncodeReply(again) == encoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string line(reinterpret_cast<const char*>(data), size);
  CheckRequest(line);
  CheckReply(line);
  return 0;
}
