#include "core/error.h"

namespace core {

namespace {
std::string Compose(const std::string& what, const std::string& where,
                    const std::string& fix) {
  std::string out;
  if (!where.empty()) out += where + ": ";
  out += what;
  if (!fix.empty()) out += " (" + fix + ")";
  return out;
}
}  // namespace

Error::Error(std::string what, std::string where, std::string fix)
    : std::runtime_error(Compose(what, where, fix)),
      message_(std::move(what)),
      where_(std::move(where)),
      fix_(std::move(fix)) {}

std::string Error::Describe() const { return std::runtime_error::what(); }

}  // namespace core
