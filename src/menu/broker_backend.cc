// Backend over broker::Client. One connection per request: the menu is idle
// most of the time and the broker limits how many connections it holds.
#include "broker_client/client.h"
#include "menu/backend.h"

namespace menu {
namespace {

class BrokerBackend : public Backend {
 public:
  explicit BrokerBackend(std::string socket_path) : socket_path_(std::move(socket_path)) {}

  broker::Reply List() override {
    broker::Request request;
    request.op = broker::Op::kList;
    return broker::Client(socket_path_).Call(request);
  }

  broker::Reply Act(broker::Op op, const std::string& domain) override {
    broker::Request request;
    request.op = op;
    request.domain = domain;
    return broker::Client(socket_path_).Call(request);
  }

  int OpenConsole(const std::string& domain) override {
    return broker::Client(socket_path_).OpenConsole(domain);
  }

 private:
  std::string socket_path_;
};

}  // namespace

std::unique_ptr<Backend> NewBrokerBackend(const std::string& socket_path) {
  return std::make_unique<BrokerBackend>(socket_path);
}

}  // namespace menu
