// `worlds lab open|close|follow-schedule|state`: the overrides and what is
// shown, with `now` fixed; and through cli::Main, the exit codes and that
// an unknown lab changes nothing.
#include "cli/lab_state.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "cli/exit_status.h"
#include "core/error.h"
#include "core/names.h"
#include "support/error_text.h"
#include "support/temp_dir.h"

namespace cli {
namespace {

// Mon 09:00-11:50 and Fri 22:00-02:00 in Chicago (CST, UTC-6, in January).
const char kPolicy[] =
    R"({"schedule":{"timezone":"America/Chicago","windows":[)"
    R"({"days":["mon","wed"],"from":"09:00","to":"11:50"},)"
    R"({"days":["fri"],"from":"22:00","to":"02:00"}],"warning":5,"grace":2},)"
    R"("idle":{"after":30,"cpu_fraction":0.02}})";

schedule::TimePoint Utc(const std::string& text) { return *schedule::ParseUtc(text); }

class LabStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::Store::Open(core::StateDbPath(dir_.path()));
    store_->UpsertLab("netlab", "labs/netlab.yaml", "");
    store_->SetLabPolicy("netlab", kPolicy);
    store_->UpsertLab("always", "labs/always.yaml", "");
  }
  std::string Switch(const std::string& lab, LabSwitch what,
                     std::optional<std::string> until = std::nullopt) {
    std::ostringstream out;
    SwitchLab(*store_, LabSwitchRequest{lab, what, until, "prof", 1000}, now_, out);
    return out.str();
  }
  std::string State(std::optional<std::string> lab = std::nullopt, bool json = false) {
    std::ostringstream out;
    ShowLabState(*store_, lab, json, now_, out);
    return out.str();
  }
  support::TempDir dir_{"worlds-cli-labstate-"};
  std::unique_ptr<store::Store> store_;
  schedule::TimePoint now_ = Utc("2027-01-08T18:00:00Z");  // Fri 12:00 CST
};

TEST_F(LabStateTest, StateFollowsTheScheduleAndLabsWithoutOneAreOpen) {
  EXPECT_EQ(State(),
            "LAB    STATE  UNTIL         WHY\n"
            "always open   -             no schedule\n"
            "netlab closed Fri 22:00 CST schedule\n");
}

TEST_F(LabStateTest, CloseUntilADurationThenFollowTheScheduleAgain) {
  EXPECT_EQ(Switch("netlab", LabSwitch::kClose, "2h"),
            "Lab 'netlab' is closed until Fri 22:00 CST (closed by prof).\n")
      << "closed until 14:00 by the override, then by the schedule until 22:00";
  std::optional<store::LabOverrideRecord> o = store_->FindLabOverride("netlab");
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->open);
  EXPECT_EQ(o->until, "2027-01-08T20:00:00Z");
  EXPECT_EQ(o->actor, "prof");
  std::vector<store::Event> events = store_->Events({});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "lab-close");
  EXPECT_EQ(events[0].target, "netlab");
  EXPECT_EQ(events[0].uid, 1000);
  EXPECT_EQ(events[0].detail, "until 2027-01-08 14:00 CST");

  EXPECT_EQ(Switch("netlab", LabSwitch::kFollowSchedule),
            "Lab 'netlab' is closed until Fri 22:00 CST (schedule).\n");
  EXPECT_FALSE(store_->FindLabOverride("netlab"));
  EXPECT_EQ(store_->Events({}).back().detail, "override dropped");
}

TEST_F(LabStateTest, OpenUntilALocalTimeAndWithoutUntil) {
  EXPECT_EQ(Switch("netlab", LabSwitch::kOpen, "2027-01-08 16:30"),
            "Lab 'netlab' is open until Fri 16:30 CST (opened by prof).\n");
  EXPECT_EQ(Switch("always", LabSwitch::kClose),
            "Lab 'always' is closed (closed by prof).\n");
  nlohmann::json rows = nlohmann::json::parse(State(std::nullopt, true));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["lab"], "always");
  EXPECT_EQ(rows[0]["open"], false);
  EXPECT_TRUE(rows[0]["until"].is_null());
  EXPECT_EQ(rows[0]["override"]["state"], "closed");
  EXPECT_TRUE(rows[0]["override"]["until"].is_null());
  EXPECT_EQ(rows[0]["timezone"], "UTC");
  EXPECT_EQ(rows[1]["lab"], "netlab");
  EXPECT_EQ(rows[1]["open"], true);
  EXPECT_EQ(rows[1]["until"], "2027-01-08T22:30:00Z");
  EXPECT_EQ(rows[1]["until_local"], "Fri 16:30 CST");
  EXPECT_EQ(rows[1]["why"], "opened by prof");
  EXPECT_EQ(rows[1]["override"]["actor"], "prof");
  EXPECT_EQ(rows[1]["override"]["at"], "2027-01-08T18:00:00Z");
  EXPECT_EQ(rows[1]["idle_after"], 30);
}

TEST_F(LabStateTest, AnUnknownLabOrAPastTimeChangesNothing) {
  const core::Error unknown =
      support::ThrownError([&] { Switch("netlb", LabSwitch::kOpen); });
  EXPECT_EQ(unknown.message(), "unknown lab 'netlb': it was never deployed");
  EXPECT_EQ(unknown.fix(), "did you mean 'netlab'?");
  EXPECT_THROW(Switch("netlb", LabSwitch::kOpen), core::InputError);
  const core::Error past =
      support::ThrownError([&] { Switch("netlab", LabSwitch::kOpen, "2027-01-08 11:00"); });
  EXPECT_EQ(past.message(),
            "the time '2027-01-08 11:00' (2027-01-08 11:00 CST) is not in the future");
  EXPECT_FALSE(store_->FindLabOverride("netlab"));
  EXPECT_TRUE(store_->Events({}).empty());
  EXPECT_THROW(State(std::string("nolab")), core::InputError);
}

// Through Main, with the real clock: only what does not depend on it.
int Worlds(std::vector<std::string> args, std::string* out, std::string* err) {
  args.insert(args.begin(), "worlds");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  std::ostringstream out_buf, err_buf;
  std::streambuf* old_out = std::cout.rdbuf(out_buf.rdbuf());
  std::streambuf* old_err = std::cerr.rdbuf(err_buf.rdbuf());
  int code = Main(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  *out = out_buf.str();
  *err = err_buf.str();
  return code;
}

TEST_F(LabStateTest, CommandLine) {
  store_.reset();
  std::string out, err;
  const std::string dir = dir_.path();
  EXPECT_EQ(Worlds({"--state-dir", dir, "lab", "open", "nolab"}, &out, &err), kExitBadInput);
  EXPECT_NE(err.find("unknown lab 'nolab': it was never deployed"), std::string::npos) << err;
  EXPECT_EQ(Worlds({"--state-dir", dir, "lab", "close", "netlab", "--until", "soon"}, &out, &err),
            kExitBadInput);
  EXPECT_NE(err.find("cannot read the time 'soon'"), std::string::npos) << err;
  EXPECT_EQ(Worlds({"--state-dir", dir, "lab", "close", "always", "--until", "90m"}, &out, &err),
            kExitOk)
      << err;
  EXPECT_NE(out.find("Lab 'always' is closed until "), std::string::npos) << out;
  EXPECT_EQ(Worlds({"--state-dir", dir, "lab", "state", "always", "--json"}, &out, &err),
            kExitOk)
      << err;
  nlohmann::json rows = nlohmann::json::parse(out);
  EXPECT_EQ(rows[0]["why"], "closed by " + rows[0]["override"]["actor"].get<std::string>());
  EXPECT_EQ(Worlds({"--state-dir", dir, "lab", "follow-schedule", "always"}, &out, &err), kExitOk);
  EXPECT_EQ(out, "Lab 'always' is open (no schedule).\n");
  EXPECT_EQ(Worlds({"--state-dir", dir, "lab", "follow-schedule", "always", "--until", "2h"},
                   &out, &err),
            kExitBadInput);
  auto store = store::Store::Open(core::StateDbPath(dir));
  EXPECT_EQ(store->Events({}).size(), 2u);
}

TEST(LabStateNoDatabaseTest, AskingCreatesNoStateDatabase) {
  support::TempDir dir("worlds-cli-labstate-");
  std::string out, err;
  EXPECT_EQ(Worlds({"--state-dir", dir.path(), "lab", "state"}, &out, &err), kExitOk);
  EXPECT_EQ(out, "No lab is deployed.\n");
  EXPECT_EQ(Worlds({"--state-dir", dir.path(), "lab", "open", "x"}, &out, &err), kExitBadInput);
  EXPECT_FALSE(std::filesystem::exists(core::StateDbPath(dir.path())));
}

}  // namespace
}  // namespace cli
