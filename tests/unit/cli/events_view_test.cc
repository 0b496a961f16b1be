#include "cli/events_view.h"

#include <gtest/gtest.h>

#include <sstream>

namespace cli {
namespace {

class EventsViewTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = store::Store::Open(":memory:"); }
  void Add(const std::string& at, const std::string& actor, const std::string& target,
           const std::string& detail) {
    store::Event event;
    event.at = at;
    event.uid = actor == "root" ? 0 : 1000;
    event.actor = actor;
    event.action = "start";
    event.target = target;
    event.result = "ok";
    event.detail = detail;
    store_->AddEvent(event);
  }
  std::unique_ptr<store::Store> store_;
};

// Moved from deploy's ActionsTest (ShowEvents moved to cli/): same rows,
// now in columns sized from their content.
TEST_F(EventsViewTest, EventsAreShownAsATableOrJson) {
  Add("2024-05-01T10:00:00Z", "root", "w-netlab-bob-router", "started");
  Add("2024-05-01T10:00:01Z", "root", "w-weblab-alice-router", "started");
  std::ostringstream table;
  ShowEvents(*store_, EventsRequest{std::string("alice")}, table);
  EXPECT_EQ(table.str(),
            "AT                       UID ACTOR ACTION TARGET                RESULT DETAIL\n"
            "2024-05-01T10:00:01.000Z 0   root  start  w-weblab-alice-router ok     started\n");
  std::ostringstream json;
  ShowEvents(*store_, EventsRequest{std::nullopt, std::nullopt, std::nullopt, 1, true}, json);
  EXPECT_NE(json.str().find("\"target\": \"w-weblab-alice-router\""), std::string::npos);
  EXPECT_EQ(json.str().find("bob"), std::string::npos) << "limit 1 keeps the newest";
  std::ostringstream none;
  ShowEvents(*store_, EventsRequest{std::string("zed")}, none);
  EXPECT_EQ(none.str(), "No events for 'zed'.\n");
}

TEST_F(EventsViewTest, AWideResultDoesNotRunIntoTheNextColumn) {
  Add("2024-05-01T10:00:00Z", "admin", "netlab", "every World");
  store::Event event;
  event.at = "2024-05-01T10:00:01Z";
  event.actor = "instructor-with-a-long-name";
  event.action = "deploy";
  event.target = "netlab";
  event.result = "started";
  event.detail = "every World";
  store_->AddEvent(event);
  std::ostringstream out;
  ShowEvents(*store_, EventsRequest{}, out);
  EXPECT_EQ(out.str().find("startedevery"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find(" instructor-with-a-long-name deploy netlab started every World\n"),
            std::string::npos)
      << out.str();
}

TEST_F(EventsViewTest, NoEventsSinceNamesWhatTheUserTyped) {
  std::ostringstream out;
  EventsRequest request;
  request.since_text = "2h";
  request.since = "2024-05-01T08:00:00.000Z";
  ShowEvents(*store_, request, out);
  EXPECT_EQ(out.str(), "No events since 2h.\n");
}

}  // namespace
}  // namespace cli
