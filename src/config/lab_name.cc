#include <yaml-cpp/yaml.h>

#include "config/lab_parser.h"
#include "core/names.h"

namespace config {

std::optional<std::string> ReadLabName(const std::string& path) {
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (!root.IsMap() || !root["lab"] || !root["lab"].IsScalar()) return std::nullopt;
    std::string name = root["lab"].Scalar();
    if (!core::IsValidName(name)) return std::nullopt;
    return name;
  } catch (const YAML::Exception&) {
    return std::nullopt;  // not a lab file: the caller says what it expected
  }
}

}  // namespace config
