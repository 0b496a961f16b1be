#include "fakes/fake_customizer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "support/error_text.h"
#include "support/temp_dir.h"

namespace fakes {
namespace {

guest::GuestEdit Edit(const std::string& disk, const std::string& host) {
  guest::GuestEdit edit;
  edit.disk_path = disk;
  edit.hostname = host;
  edit.nics = {{"eth0", "10.0.0.2", 24}};
  edit.commands = {"echo hi"};
  return edit;
}

TEST(FakeCustomizerTest, RecordsCallsAndCountsOneLaunchPerNonEmptyApply) {
  FakeCustomizer fake;
  EXPECT_TRUE(fake.Apply({}).empty());
  auto results = fake.Apply({Edit("/d/a.qcow2", "a"), Edit("/d/b.qcow2", "b")});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].disk_path, "/d/a.qcow2");
  EXPECT_TRUE(results[0].ok);
  EXPECT_EQ(results[1].disk_path, "/d/b.qcow2");
  EXPECT_TRUE(results[1].ok);
  EXPECT_EQ(fake.launches(), 1);
  ASSERT_EQ(fake.calls().size(), 2u);
  EXPECT_TRUE(fake.calls()[0].empty());
  ASSERT_EQ(fake.calls()[1].size(), 2u);
  EXPECT_EQ(fake.calls()[1][1].hostname, "b");
  EXPECT_EQ(fake.applied().size(), 2u);
}

TEST(FakeCustomizerTest, FailedDiskReportsItsMessageAndOthersSucceed) {
  FakeCustomizer fake;
  fake.FailDisk("/d/b.qcow2", "no filesystem with /etc found");
  auto results = fake.Apply({Edit("/d/a.qcow2", "a"), Edit("/d/b.qcow2", "b")});
  EXPECT_TRUE(results[0].ok);
  EXPECT_FALSE(results[1].ok);
  EXPECT_EQ(results[1].error, "no filesystem with /etc found");
  ASSERT_EQ(fake.applied().size(), 1u);
  EXPECT_EQ(fake.applied()[0].disk_path, "/d/a.qcow2");

  fake.FailDisk("/d/b.qcow2", "");
  EXPECT_TRUE(fake.Apply({Edit("/d/b.qcow2", "b")})[0].ok);
}

TEST(FakeCustomizerTest, FailedLaunchThrowsAndCounts) {
  FakeCustomizer fake;
  fake.FailLaunch("libguestfs appliance failed to launch: boom");
  EXPECT_EQ(support::ErrorText([&] { fake.Apply({Edit("/d/a.qcow2", "a")}); }),
            "libguestfs appliance failed to launch: boom");
  EXPECT_EQ(fake.launches(), 1);
  EXPECT_EQ(fake.calls().size(), 1u);
  EXPECT_TRUE(fake.applied().empty());
  EXPECT_TRUE(fake.Apply({}).empty());  // an empty batch launches nothing
  fake.FailLaunch("");
  EXPECT_TRUE(fake.Apply({Edit("/d/a.qcow2", "a")})[0].ok);
  EXPECT_EQ(fake.launches(), 2);
}

TEST(FakeCustomizerTest, WritesMarkerBesideTheDisk) {
  support::TempDir temp("fake_customizer_");
  const std::string dir = temp.path();
  FakeCustomizer fake;
  fake.WriteMarkers(true);
  auto edit = Edit(dir + "/a.qcow2", "pc1");
  ASSERT_TRUE(fake.Apply({edit})[0].ok);
  std::ifstream in(dir + "/a.qcow2.customized");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "hostname pc1\nnic eth0 10.0.0.2/24\ncommand echo hi\n");

  auto missing = fake.Apply({Edit(dir + "/nodir/b.qcow2", "pc2")});
  EXPECT_FALSE(missing[0].ok);
  EXPECT_EQ(missing[0].error,
            "cannot write " + dir + "/nodir/b.qcow2.customized: No such file or directory");
}

}  // namespace
}  // namespace fakes
