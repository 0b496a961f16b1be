// The settings of a Worlds host, decided in one place. Each has a built-in
// default, may be set in the config file (/etc/worlds/worlds.conf, read with
// CLI11's own config parser), is overridden by its environment variable, and
// that by its flag. `worlds config` prints every value and where it came from.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "capacity/budget.h"
#include "capacity/plan_fit.h"

namespace settings {

// The config file read when neither --config nor WORLDS_CONFIG names one
// (CMake sets it from the install prefix: /etc/worlds/worlds.conf when
// installed under /usr).
#ifndef WORLDS_CONFIG_FILE
#define WORLDS_CONFIG_FILE "/etc/worlds/worlds.conf"
#endif
inline constexpr const char* kDefaultConfigFile = WORLDS_CONFIG_FILE;
inline constexpr const char* kConfigEnv = "WORLDS_CONFIG";

// Every setting: its key in the file, its environment variable, its flag.
struct Key {
  const char* name;
  const char* env;
  const char* flag;  // "" when only the file and the environment set it
  const char* help;
};
const std::vector<Key>& Keys();

enum class Source { kDefault, kFile, kEnvironment, kFlag };

struct Value {
  std::string value;  // empty: unset (the program decides, e.g. <state-dir>/images)
  Source source = Source::kDefault;
  std::string origin;  // "default", the file's path, "WORLDS_JOBS", "--jobs"
};

// Reads an environment variable; empty or unset is nullopt.
using Environment = std::function<std::optional<std::string>(const std::string&)>;
Environment ProcessEnvironment();

class Settings {
 public:
  // Defaults, then the config file, then the environment. `config_flag` is
  // the --config value (empty: not given). A config file named by the flag
  // or by WORLDS_CONFIG must exist; the default one may be missing.
  // Throws core::InputError naming the file and the setting for an unknown
  // key, a section, a value given twice or a value that is not valid.
  static Settings Load(const std::string& config_flag, const Environment& env);

  // A flag the command line gave; validated like the others.
  void SetFlag(const std::string& name, const std::string& value);

  const Value& Get(const std::string& name) const;
  const std::string& operator[](const std::string& name) const { return Get(name).value; }

  const std::string& config_file() const { return config_file_; }
  bool config_read() const { return config_read_; }
  std::string config_origin() const { return config_origin_; }

 private:
  void Set(const std::string& name, const std::string& value, Source source,
           const std::string& origin);

  std::map<std::string, Value> values_;
  std::string config_file_;
  std::string config_origin_;  // "default", "--config", "WORLDS_CONFIG"
  bool config_read_ = false;
};

// The admission rule's settings (memory-budget, memory-overcommit,
// max-running-per-student) as capacity/budget.h takes them.
capacity::Policy CapacityPolicy(const Settings& settings);
// A deploy plan's capacity check (expected-running, capacity-check,
// overlay-growth) with the budget above (capacity/plan_fit.h).
capacity::PlanPolicy CapacityPlanPolicy(const Settings& settings);

// "default", "file", "environment", "flag".
const char* SourceName(Source source);

}  // namespace settings
