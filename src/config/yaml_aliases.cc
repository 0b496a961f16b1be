#include "config/yaml_aliases.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <sstream>

namespace config::internal {

namespace {

// Sees the event stream before anything is expanded; stops at the first
// alias by throwing it.
class AliasFinder : public YAML::EventHandler {
 public:
  struct Found {
    YAML::Mark mark;
  };
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { throw Found{mark}; }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

std::optional<YAML::Mark> FirstAlias(const std::string& text) {
  std::istringstream in(text);
  AliasFinder finder;
  try {
    // The first document only, as YAML::Load reads: looping over "the
    // next document" never ended on some inputs (",b\x1din\n + - d",
    // found by tools/fuzz).
    YAML::Parser parser(in);
    parser.HandleNextDocument(finder);
  } catch (const AliasFinder::Found& found) {
    return found.mark;
  } catch (const YAML::Exception&) {
    // The real parse reports it, with its position.
  }
  return std::nullopt;
}

}  // namespace config::internal
