// `worlds events` end to end through cli::Main, on a state dir of its own.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/exit_status.h"
#include "cli/since.h"
#include "core/names.h"
#include "store/store.h"

namespace cli {
namespace {

// Runs `worlds ARGS` and returns its exit code; stdout and stderr into the
// given strings.
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

class EventsCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "worlds-cli-events-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    std::unique_ptr<store::Store> store = store::Store::Open(core::StateDbPath(dir_));
    store::Event old_event;
    old_event.at = "2020-01-01T00:00:00Z";
    old_event.actor = "admin";
    old_event.action = "deploy";
    old_event.target = "oldlab";
    old_event.result = "ok";
    store->AddEvent(old_event);
    store::Event today;  // at: now, set by the store
    today.actor = "admin";
    today.action = "deploy";
    today.target = "netlab";
    today.result = "started";
    today.detail = "every World";
    store->AddEvent(today);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(EventsCommandTest, SinceYesterdayShowsTodaysEvents) {
  std::string out, err;
  EXPECT_EQ(Worlds({"--state-dir", dir_, "events", "--since", "yesterday"}, &out, &err),
            kExitOk)
      << err;
  EXPECT_NE(out.find("netlab started every World\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("oldlab"), std::string::npos) << out;
  EXPECT_EQ(Worlds({"--state-dir", dir_, "events", "--since", "2019-12-31T23:00:00-02:00"}, &out,
                   &err),
            kExitOk);
  EXPECT_EQ(out.find("oldlab"), std::string::npos) << "01:00 UTC on 2020-01-01: after it";
  EXPECT_EQ(Worlds({"--state-dir", dir_, "events", "--since", "2019-12-31T23:00:00Z"}, &out,
                   &err),
            kExitOk);
  EXPECT_NE(out.find("oldlab"), std::string::npos) << out;
}

TEST_F(EventsCommandTest, AnUnreadableSinceIsRefusedWithExit2) {
  std::string out, err;
  EXPECT_EQ(Worlds({"--state-dir", dir_, "events", "--since", "last week"}, &out, &err),
            kExitBadInput);
  EXPECT_EQ(out, "");
  EXPECT_EQ(err, "worlds: --since 'last week' is not a time (use " + std::string(kSinceForms) +
                     ")\n");
}

}  // namespace
}  // namespace cli
