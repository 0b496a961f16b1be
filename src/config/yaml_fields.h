// Private to config/: reading one YAML mapping at a time, with every problem
// (unknown or duplicate key, missing key, wrong type) recorded as a
// Diagnostic at its 1-based position instead of thrown.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "config/diagnostic.h"

namespace config::internal {

// Collects diagnostics for one source file.
class Reporter {
 public:
  Reporter(std::string file, Diagnostics* out)
      : file_(std::move(file)), out_(out) {}

  // 1-based position of `node`; `fallback` when yaml-cpp has no mark for it
  // (e.g. an implicit null value).
  core::SourcePos Pos(const YAML::Node& node,
                      const core::SourcePos& fallback = {}) const;
  void Error(const core::SourcePos& pos, std::string message);
  void Error(const YAML::Node& at, std::string message) {
    Error(Pos(at), std::move(message));
  }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  Diagnostics* out_;
};

// "a mapping", "a list", "a string" or "nothing", for type errors.
std::string KindName(const YAML::Node& node);

// The entries of one YAML mapping. Check() reports keys that are not
// allowed (with a did-you-mean) and keys given twice.
class Fields {
 public:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };

  explicit Fields(const YAML::Node& map, Reporter* reporter);

  // Reports unknown keys, non-string keys and duplicate keys; `where` names
  // the mapping in messages, e.g. "vm 'router'".
  void Check(const std::vector<std::string>& allowed, const std::string& where);

  // The first entry for `key`, or nullptr.
  const Entry* Find(const std::string& key) const;

  // The value of `key` as a string. Absent: nullopt, and an error when
  // `required`. Not a scalar: an error saying it must be `expected`
  // ("a string", "an integer from 1 to 64"...) and nullopt.
  std::optional<std::string> String(const std::string& key, bool required,
                                    const std::string& where,
                                    const std::string& expected = "a string");

  // Position of the value of `key` (of its key when the value has none),
  // or of the mapping when `key` is absent.
  core::SourcePos ValuePos(const std::string& key) const;

  // The value of `key` as a list (a null value is an empty list). Absent:
  // nullopt, and an error when `required`.
  std::optional<YAML::Node> List(const std::string& key, bool required,
                                 const std::string& where);

  const YAML::Node& node() const { return map_; }

 private:
  YAML::Node map_;
  Reporter* reporter_;
  std::vector<Entry> entries_;
};

}  // namespace config::internal
