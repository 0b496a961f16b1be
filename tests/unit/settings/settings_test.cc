#include "settings/settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "core/error.h"
#include "support/error_text.h"
#include "support/roster.h"
#include "support/temp_dir.h"

namespace settings {
namespace {

class SettingsTest : public ::testing::Test {
 protected:
  Environment Env() {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
  }
  std::string Conf(const std::string& text) {
    std::string path = dir_.path() + "/worlds.conf";
    support::WriteFile(path, text);
    return path;
  }

  support::TempDir dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(SettingsTest, DefaultsWhenNothingIsSet) {
  env_["WORLDS_CONFIG"] = Conf("# every line commented out\n#state-dir = \"/srv\"\n");
  Settings s = Settings::Load("", Env());
  EXPECT_EQ(s["state-dir"], "/var/lib/worlds");
  EXPECT_EQ(s["connect"], "qemu:///system");
  EXPECT_EQ(s["admin-group"], "worlds-admin");
  EXPECT_EQ(s["broker-socket"], "/run/worlds/broker.sock");
  EXPECT_EQ(s["image-dir"], "");
  EXPECT_GE(std::stoi(s["jobs"]), 1);
  EXPECT_EQ(s["cpu-partitions"], "world");
  EXPECT_EQ(s.Get("state-dir").source, Source::kDefault);
  EXPECT_TRUE(s.config_read());
  EXPECT_EQ(s.config_origin(), "WORLDS_CONFIG");
}

TEST_F(SettingsTest, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  std::string conf = Conf(
      "state-dir = \"/srv/file\"\nconnect = \"qemu+ssh://lab2/system\"\n"
      "jobs = 3\nadmin-group = \"lab-staff\"\n");
  env_["WORLDS_STATE_DIR"] = "/srv/env";
  env_["WORLDS_JOBS"] = "5";
  Settings s = Settings::Load(conf, Env());
  s.SetFlag("state-dir", "/srv/flag");

  EXPECT_EQ(s["state-dir"], "/srv/flag");
  EXPECT_EQ(s.Get("state-dir").source, Source::kFlag);
  EXPECT_EQ(s.Get("state-dir").origin, "--state-dir");
  EXPECT_EQ(s["jobs"], "5");
  EXPECT_EQ(s.Get("jobs").origin, "WORLDS_JOBS");
  EXPECT_EQ(s["connect"], "qemu+ssh://lab2/system");
  EXPECT_EQ(s.Get("connect").source, Source::kFile);
  EXPECT_EQ(s.Get("connect").origin, conf);
  EXPECT_EQ(s["admin-group"], "lab-staff");
  EXPECT_EQ(s.Get("broker-socket").source, Source::kDefault);
  EXPECT_EQ(s.config_origin(), "--config");
}

TEST_F(SettingsTest, TheDefaultFileMayBeMissingANamedOneMayNot) {
  // The built-in default file is only read when it exists; the test cannot
  // know whether this host has one, so it names files instead.
  std::string missing = dir_.path() + "/nope.conf";
  EXPECT_EQ(support::ErrorText([&] { Settings::Load(missing, Env()); }),
            missing + ": the config file named by --config cannot be read (check the path "
                      "and its permissions)");
  env_["WORLDS_CONFIG"] = missing;
  EXPECT_THROW(Settings::Load("", Env()), core::InputError);
}

TEST_F(SettingsTest, CapacityPolicyComesFromTheFileAndTheEnvironment) {
  std::string conf = Conf("memory-budget = \"50%\"\nmemory-overcommit = 1.5\n");
  env_["WORLDS_MAX_RUNNING_PER_STUDENT"] = "3";
  Settings s = Settings::Load(conf, Env());
  capacity::Policy policy = CapacityPolicy(s);
  EXPECT_EQ(policy.percent, 50);
  EXPECT_EQ(policy.overcommit, 1.5);
  EXPECT_EQ(policy.max_running_per_owner, 3);
  env_.clear();
  EXPECT_EQ(CapacityPolicy(Settings::Load("", Env())).max_running_per_owner, 0);
}

TEST_F(SettingsTest, PlanCapacityDefaultsAndOverrides) {
  capacity::PlanPolicy defaults = CapacityPlanPolicy(Settings::Load("", Env()));
  EXPECT_EQ(defaults.expected_percent, 100);
  EXPECT_TRUE(defaults.refuse);
  EXPECT_EQ(defaults.growth_mib, 0);
  EXPECT_EQ(defaults.growth_percent, 25);
  std::string conf = Conf("expected-running = \"60%\"\noverlay-growth = 2048\n");
  env_["WORLDS_CAPACITY_CHECK"] = "warn";
  capacity::PlanPolicy policy = CapacityPlanPolicy(Settings::Load(conf, Env()));
  EXPECT_EQ(policy.expected_percent, 60);
  EXPECT_FALSE(policy.refuse);
  EXPECT_EQ(policy.growth_mib, 2048);
  EXPECT_EQ(policy.budget.percent, 90);
  env_["WORLDS_CAPACITY_CHECK"] = "maybe";
  EXPECT_EQ(support::ErrorText([&] { Settings::Load("", Env()); }),
            "environment variable WORLDS_CAPACITY_CHECK = 'maybe' is neither refuse nor warn");
}

TEST_F(SettingsTest, ABadMemoryBudgetNamesTheFileAndTheFormat) {
  std::string conf = Conf("memory-budget = \"2G\"\n");
  EXPECT_THAT(support::ErrorText([&] { Settings::Load(conf, Env()); }),
              ::testing::HasSubstr("nor a whole number of MiB"));
}

TEST_F(SettingsTest, UnknownKeysSectionsAndRepeatsNameTheFile) {
  std::string conf = Conf("state_dir = \"/srv\"\n");
  EXPECT_EQ(support::ErrorText([&] { Settings::Load(conf, Env()); }),
            conf + ": unknown setting 'state_dir' (the settings are state-dir, image-dir, "
                   "connect, jobs, accel, admin-group, broker-socket, memory-budget, "
                   "memory-overcommit, max-running-per-student, expected-running, "
                   "capacity-check, overlay-growth, cpu-partitions)");
  conf = Conf("[broker]\nadmin-group = \"x\"\n");
  EXPECT_NE(support::ErrorText([&] { Settings::Load(conf, Env()); })
                .find("sections are not used"),
            std::string::npos);
  conf = Conf("jobs = 2\njobs = 3\n");
  EXPECT_EQ(support::ErrorText([&] { Settings::Load(conf, Env()); }),
            conf + ": 'jobs' is given more than one value (set twice, or a list) (keep one "
                   "line: jobs = ...)");
}

TEST_F(SettingsTest, BadValuesAreRefusedWhereverTheyComeFrom) {
  std::string conf = Conf("jobs = 0\n");
  EXPECT_EQ(support::ErrorText([&] { Settings::Load(conf, Env()); }),
            conf + ": jobs = '0' is not a whole number of workers from 1 up");
  conf = Conf("state-dir = \"relative/dir\"\n");
  EXPECT_THROW(Settings::Load(conf, Env()), core::InputError);

  env_["WORLDS_ACCEL"] = "hvf";
  conf = Conf("");
  EXPECT_EQ(support::ErrorText([&] { Settings::Load(conf, Env()); }),
            "environment variable WORLDS_ACCEL = 'hvf' is neither kvm nor qemu (TCG)");
  env_.erase("WORLDS_ACCEL");
  env_["WORLDS_CPU_PARTITIONS"] = "vm";
  EXPECT_EQ(support::ErrorText([&] { Settings::Load(conf, Env()); }),
            "environment variable WORLDS_CPU_PARTITIONS = 'vm' is neither world nor none");
  env_["WORLDS_CPU_PARTITIONS"] = "none";
  EXPECT_EQ(Settings::Load(conf, Env())["cpu-partitions"], "none");
  env_.erase("WORLDS_CPU_PARTITIONS");
  Settings s = Settings::Load(conf, Env());
  EXPECT_EQ(support::ErrorText([&] { s.SetFlag("image-dir", "images"); }),
            "--image-dir = 'images' is not an absolute path");
}

}  // namespace
}  // namespace settings
