#include "settings/settings.h"

#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include <CLI/CLI.hpp>

#include "capacity/budget.h"
#include "capacity/plan_fit.h"
#include "core/error.h"

namespace settings {
namespace {

std::string DefaultJobs() {
  unsigned n = std::thread::hardware_concurrency();
  return std::to_string(n == 0 ? 1 : n);
}

const Key* FindKey(const std::string& name) {
  for (const Key& key : Keys()) {
    if (name == key.name) return &key;
  }
  return nullptr;
}

std::string KnownKeys() {
  std::string list;
  for (const Key& key : Keys()) list += (list.empty() ? "" : ", ") + std::string(key.name);
  return list;
}

// What a value must look like; empty when it does.
std::string Invalid(const std::string& name, const std::string& value) {
  if (name == "jobs") {
    bool digits = !value.empty() && value.size() <= 4 &&
                  value.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoi(value) < 1) return "is not a whole number of workers from 1 up";
  } else if (name == "accel") {
    if (value != "kvm" && value != "qemu") return "is neither kvm nor qemu (TCG)";
  } else if (name == "memory-budget") {
    capacity::Policy ignored;
    return capacity::ParseMemoryBudget(value, &ignored);
  } else if (name == "memory-overcommit") {
    capacity::Policy ignored;
    return capacity::ParseOvercommit(value, &ignored);
  } else if (name == "max-running-per-student") {
    capacity::Policy ignored;
    return capacity::ParseMaxRunning(value, &ignored);
  } else if (name == "expected-running") {
    capacity::PlanPolicy ignored;
    return capacity::ParseExpectedRunning(value, &ignored);
  } else if (name == "capacity-check") {
    capacity::PlanPolicy ignored;
    return capacity::ParseCapacityCheck(value, &ignored);
  } else if (name == "overlay-growth") {
    capacity::PlanPolicy ignored;
    return capacity::ParseOverlayGrowth(value, &ignored);
  } else if (name == "cpu-partitions") {
    if (value != "world" && value != "none") return "is neither world nor none";
  } else if (name == "state-dir" || name == "image-dir" || name == "broker-socket") {
    if (value.empty() || value[0] != '/') return "is not an absolute path";
  } else if (value.empty()) {
    return "is empty";
  }
  return "";
}

}  // namespace

const std::vector<Key>& Keys() {
  static const std::vector<Key> keys = {
      {"state-dir", "WORLDS_STATE_DIR", "--state-dir", "state.db, overlays, locks and logs"},
      {"image-dir", "WORLDS_IMAGE_DIR", "--image-dir",
       "where lab images are found (default: <state-dir>/images)"},
      {"connect", "WORLDS_CONNECT", "--connect", "the libvirt URI"},
      {"jobs", "WORLDS_JOBS", "--jobs", "parallel deploy workers (default: the cores)"},
      {"accel", "WORLDS_ACCEL", "--accel",
       "kvm or qemu (TCG); default: what `worlds doctor` found working"},
      {"admin-group", "WORLDS_ADMIN_GROUP", "--admin-group",
       "Unix group whose members may act on every VM"},
      {"broker-socket", "WORLDS_BROKER_SOCKET", "--socket", "the broker's Unix socket"},
      {"memory-budget", "WORLDS_MEMORY_BUDGET", "",
       "guest memory the host may hold at once: a share of RAM (90%) or MiB"},
      {"memory-overcommit", "WORLDS_MEMORY_OVERCOMMIT", "",
       "multiplies the memory budget (1.0; 1.3-1.5 with KSM)"},
      {"max-running-per-student", "WORLDS_MAX_RUNNING_PER_STUDENT",
       "", "VMs one student (or group) may run at once; 0: no limit"},
      {"expected-running", "WORLDS_EXPECTED_RUNNING", "",
       "share of a lab's Worlds a deploy expects to run at once (100%)"},
      {"capacity-check", "WORLDS_CAPACITY_CHECK", "",
       "a deploy that does not fit the host: refuse or warn"},
      {"overlay-growth", "WORLDS_OVERLAY_GROWTH", "",
       "disk each overlay may grow by: a share of its base's virtual size (25%) or MiB"},
      {"cpu-partitions", "WORLDS_CPU_PARTITIONS", "",
       "world: each World's VMs share one cgroup with equal CPU per World; none"},
  };
  return keys;
}

Environment ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value || !*value) return std::nullopt;
    return std::string(value);
  };
}

const char* SourceName(Source source) {
  switch (source) {
    case Source::kDefault: return "default";
    case Source::kFile: return "file";
    case Source::kEnvironment: return "environment";
    case Source::kFlag: return "flag";
  }
  return "?";
}

Settings Settings::Load(const std::string& config_flag, const Environment& env) {
  Settings settings;
  settings.Set("state-dir", "/var/lib/worlds", Source::kDefault, "default");
  settings.Set("image-dir", "", Source::kDefault, "default");
  settings.Set("connect", "qemu:///system", Source::kDefault, "default");
  settings.Set("jobs", DefaultJobs(), Source::kDefault, "default");
  settings.Set("accel", "", Source::kDefault, "default");
  settings.Set("admin-group", "worlds-admin", Source::kDefault, "default");
  settings.Set("broker-socket", "/run/worlds/broker.sock", Source::kDefault, "default");
  settings.Set("memory-budget", "90%", Source::kDefault, "default");
  settings.Set("memory-overcommit", "1.0", Source::kDefault, "default");
  settings.Set("max-running-per-student", "0", Source::kDefault, "default");
  settings.Set("expected-running", "100%", Source::kDefault, "default");
  settings.Set("capacity-check", "refuse", Source::kDefault, "default");
  settings.Set("overlay-growth", "25%", Source::kDefault, "default");
  settings.Set("cpu-partitions", "world", Source::kDefault, "default");

  bool required = true;
  if (!config_flag.empty()) {
    settings.config_file_ = config_flag;
    settings.config_origin_ = "--config";
  } else if (std::optional<std::string> named = env(kConfigEnv)) {
    settings.config_file_ = *named;
    settings.config_origin_ = kConfigEnv;
  } else {
    settings.config_file_ = kDefaultConfigFile;
    settings.config_origin_ = "default";
    required = false;
  }

  std::ifstream in(settings.config_file_);
  if (in) {
    std::vector<CLI::ConfigItem> items;
    try {
      items = CLI::ConfigTOML().from_config(in);
    } catch (const CLI::Error& e) {
      throw core::InputError(e.what(), settings.config_file_);
    }
    std::set<std::string> seen;
    for (const CLI::ConfigItem& item : items) {
      if (!item.parents.empty() || item.name == "++" || item.name == "--") {
        throw core::InputError("sections are not used", settings.config_file_,
                               "write every setting as `key = value` at the top level");
      }
      if (!FindKey(item.name)) {
        throw core::InputError("unknown setting '" + item.name + "'", settings.config_file_,
                               "the settings are " + KnownKeys());
      }
      if (!seen.insert(item.name).second) {
        throw core::InputError("'" + item.name + "' is set twice", settings.config_file_,
                               "keep one line");
      }
      // CLI11 gathers a key given on two lines into one item of two values.
      if (item.inputs.size() != 1) {
        throw core::InputError("'" + item.name + "' is given more than one value (set twice, "
                               "or a list)",
                               settings.config_file_, "keep one line: " + item.name + " = ...");
      }
      settings.Set(item.name, item.inputs[0], Source::kFile, settings.config_file_);
    }
    settings.config_read_ = true;
  } else if (required) {
    throw core::InputError("the config file named by " + settings.config_origin_ +
                               " cannot be read",
                           settings.config_file_, "check the path and its permissions");
  }

  for (const Key& key : Keys()) {
    if (std::optional<std::string> value = env(key.env)) {
      settings.Set(key.name, *value, Source::kEnvironment, key.env);
    }
  }
  return settings;
}

void Settings::SetFlag(const std::string& name, const std::string& value) {
  const Key* key = FindKey(name);
  if (!key) throw core::Error("no setting named '" + name + "'");
  Set(name, value, Source::kFlag, key->flag);
}

const Value& Settings::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw core::Error("no setting named '" + name + "'");
  return it->second;
}

void Settings::Set(const std::string& name, const std::string& value, Source source,
                   const std::string& origin) {
  if (source != Source::kDefault) {
    std::string why = Invalid(name, value);
    if (!why.empty()) {
      std::string what = source == Source::kFile ? name
                         : source == Source::kEnvironment ? "environment variable " + origin
                                                          : origin;
      throw core::InputError(what + " = '" + value + "' " + why,
                             source == Source::kFile ? origin : "");
    }
  }
  values_[name] = Value{value, source, origin};
}

}  // namespace settings

namespace settings {

capacity::Policy CapacityPolicy(const Settings& settings) {
  // Load and SetFlag validated each value with these same parsers.
  capacity::Policy policy;
  capacity::ParseMemoryBudget(settings["memory-budget"], &policy);
  capacity::ParseOvercommit(settings["memory-overcommit"], &policy);
  capacity::ParseMaxRunning(settings["max-running-per-student"], &policy);
  return policy;
}

capacity::PlanPolicy CapacityPlanPolicy(const Settings& settings) {
  capacity::PlanPolicy policy;
  policy.budget = CapacityPolicy(settings);
  capacity::ParseExpectedRunning(settings["expected-running"], &policy);
  capacity::ParseCapacityCheck(settings["capacity-check"], &policy);
  capacity::ParseOverlayGrowth(settings["overlay-growth"], &policy);
  return policy;
}

}  // namespace settings
