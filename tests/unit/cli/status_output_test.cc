#include "cli/status_output.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace cli {
namespace {

deploy::StatusReport Report() {
  deploy::StatusReport report;
  deploy::VmStatus ready{"netlab", "alice", "router", "w-netlab-alice-router",
                         "/s/router.qcow2", "ready", "ready", "running", "",
                         R"({"nics":[{"name":"lan","address":"10.10.0.1/24"}]})"};
  deploy::VmStatus broken{"netlab", "alice", "client", "w-netlab-alice-client",
                          "/s/client.qcow2", "defined", "incomplete", "shut off",
                          "worlds deploy rebuilds it (never booted, no student data)", ""};
  report.vms = {ready, broken, broken};
  return report;
}

TEST(StatusOutputTest, TableHasOneRowPerVmAndEachFixOnce) {
  std::string text = FormatStatusTable(Report(), {});
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "LAB         OWNER         VM        PHASE         STATE     DOMAIN                "
            "          NICS");
  EXPECT_NE(text.find("netlab      alice         router    ready         running   "
                      "w-netlab-alice-router           lan=10.10.0.1/24\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\n  incomplete: worlds deploy rebuilds it (never booted, no student "
                      "data)\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("incomplete: worlds"), text.rfind("incomplete: worlds")) << text;
}

TEST(StatusOutputTest, NothingDeployedNamesTheFilterAndTheNote) {
  deploy::StatusReport empty;
  empty.no_libvirt = "qemu:///system: cannot connect";
  EXPECT_EQ(FormatStatusTable(empty, {std::string("netlab"), std::string("bob")}),
            "note: qemu:///system: cannot connect\nNo Worlds deployed for lab 'netlab' for "
            "'bob'.\n");
}

TEST(StatusOutputTest, JsonHasEveryFieldAndTheIdentity) {
  nlohmann::json rows = nlohmann::json::parse(FormatStatusJson(Report()));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["phase"], "ready");
  EXPECT_EQ(rows[1]["recorded_phase"], "defined");
  EXPECT_EQ(rows[1]["state"], "shut off");
  EXPECT_EQ(rows[0]["identity"]["nics"][0]["name"], "lan");
  EXPECT_TRUE(rows[1]["identity"].is_null());
  EXPECT_EQ(rows[0]["overlay"], "/s/router.qcow2");
}

}  // namespace
}  // namespace cli
