#include "store/store.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "core/error.h"
#include "support/error_text.h"
#include "support/temp_dir.h"

namespace store {
namespace {

VmRecord Vm(const std::string& owner, const std::string& name,
            VmPhase phase = VmPhase::kPlanned) {
  VmRecord vm;
  vm.lab = "netlab";
  vm.owner = owner;
  vm.vm = name;
  vm.domain = "w-netlab-" + owner + "-" + name;
  vm.overlay = "/var/lib/worlds/worlds/netlab/" + owner + "/" + name + ".qcow2";
  vm.phase = phase;
  return vm;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Store::Open(":memory:");
    store_->UpsertLab("netlab", "labs/netlab.yaml", "Networking");
  }
  std::unique_ptr<Store> store_;
};

TEST(PhaseTest, RoundTripsEveryPhaseAndRejectsUnknown) {
  for (VmPhase phase : {VmPhase::kPlanned, VmPhase::kOverlay, VmPhase::kCustomized,
                        VmPhase::kDefined, VmPhase::kReady}) {
    EXPECT_EQ(ParsePhase(ToString(phase)), phase);
  }
  EXPECT_STREQ(ToString(VmPhase::kCustomized), "customized");
  EXPECT_EQ(ParsePhase("Ready"), std::nullopt);
  EXPECT_EQ(ParsePhase(""), std::nullopt);
}

TEST_F(StoreTest, UpsertWorldIsIdempotentAndUpdatesIndex) {
  store_->UpsertWorld("netlab", "alice", 1);
  store_->UpsertWorld("netlab", "alice", 1);
  store_->UpsertWorld("netlab", "bob", 2);
  store_->UpsertWorld("netlab", "alice", 3);
  auto worlds = store_->Worlds("netlab", std::nullopt);
  ASSERT_EQ(worlds.size(), 2u);
  EXPECT_EQ(worlds[0].owner, "bob");
  EXPECT_EQ(worlds[0].index, 2);
  EXPECT_EQ(worlds[1].owner, "alice");
  EXPECT_EQ(worlds[1].index, 3);
  EXPECT_EQ(worlds[1].created_at.size(), 24u) << worlds[1].created_at;
  EXPECT_EQ(worlds[1].created_at.back(), 'Z');
  EXPECT_EQ(store_->Worlds(std::nullopt, "bob").size(), 1u);
  EXPECT_TRUE(store_->Worlds("otherlab", std::nullopt).empty());
}

TEST_F(StoreTest, UpsertWorldKeepsItsVms) {
  store_->UpsertWorld("netlab", "alice", 1);
  store_->SetVm(Vm("alice", "web"));
  store_->UpsertWorld("netlab", "alice", 2);  // must not delete and cascade
  EXPECT_TRUE(store_->FindVm("netlab", "alice", "web").has_value());
}

TEST_F(StoreTest, WorldOfUnknownLabIsRefused) {
  {
    const core::Error e = support::ThrownError([&] { store_->UpsertWorld("nolab", "alice", 1); });
    EXPECT_EQ(e.message(), "lab 'nolab' is not recorded in the state database");
    EXPECT_EQ(e.where(), ":memory:");
  }
}

TEST_F(StoreTest, SetVmForMissingWorldThrows) {
  {
    const core::Error e = support::ThrownError([&] { store_->SetVm(Vm("alice", "web")); });
    EXPECT_EQ(e.message(), "no World of 'alice' in lab 'netlab' is recorded for VM 'web'");
    EXPECT_EQ(e.fix(), "record the World before its VMs");
  }
  EXPECT_TRUE(store_->Vms(std::nullopt, std::nullopt).empty());
}

TEST_F(StoreTest, SetVmUpsertsByWorldAndName) {
  store_->UpsertWorld("netlab", "alice", 1);
  store_->SetVm(Vm("alice", "web"));
  store_->SetVm(Vm("alice", "web"));
  store_->SetVm(Vm("alice", "web", VmPhase::kDefined));
  auto vms = store_->Vms("netlab", "alice");
  ASSERT_EQ(vms.size(), 1u);
  EXPECT_EQ(vms[0].phase, VmPhase::kDefined);
  EXPECT_EQ(vms[0].domain, "w-netlab-alice-web");
  EXPECT_EQ(vms[0].overlay, "/var/lib/worlds/worlds/netlab/alice/web.qcow2");
  EXPECT_FALSE(vms[0].updated_at.empty());

  auto found = store_->FindVmByDomain("w-netlab-alice-web");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->lab, "netlab");
  EXPECT_EQ(found->owner, "alice");
  EXPECT_EQ(found->vm, "web");
  EXPECT_EQ(store_->FindVmByDomain("w-netlab-alice-db"), std::nullopt);
  EXPECT_EQ(store_->FindVm("netlab", "bob", "web"), std::nullopt);
}

TEST_F(StoreTest, DomainNamesAreUnique) {
  store_->UpsertWorld("netlab", "alice", 1);
  store_->UpsertWorld("netlab", "bob", 2);
  store_->SetVm(Vm("alice", "web"));
  VmRecord clash = Vm("bob", "web");
  clash.domain = "w-netlab-alice-web";
  {
    const core::Error e = support::ThrownError([&] { store_->SetVm(clash); });
    EXPECT_NE(e.message().find("UNIQUE constraint failed: vms.domain"), std::string::npos)
        << e.message();
  }
}

TEST_F(StoreTest, VmsAreOrderedByLabWorldIndexAndName) {
  store_->UpsertLab("alab", "labs/alab.yaml", "");
  store_->UpsertWorld("netlab", "zed", 1);
  store_->UpsertWorld("netlab", "amy", 2);
  store_->UpsertWorld("alab", "zed", 1);
  store_->SetVm(Vm("amy", "web"));
  store_->SetVm(Vm("zed", "web"));
  store_->SetVm(Vm("zed", "db"));
  VmRecord other = Vm("zed", "box");
  other.lab = "alab";
  other.domain = "w-alab-zed-box";
  store_->SetVm(other);
  std::vector<std::string> order;
  for (const auto& vm : store_->Vms(std::nullopt, std::nullopt)) {
    order.push_back(vm.lab + "/" + vm.owner + "/" + vm.vm);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"alab/zed/box", "netlab/zed/db",
                                             "netlab/zed/web", "netlab/amy/web"}));
  EXPECT_EQ(store_->Vms(std::nullopt, "zed").size(), 3u);
  EXPECT_EQ(store_->Vms("alab", std::nullopt).size(), 1u);
}

TEST_F(StoreTest, RemoveWorldCascadesToVmsAndRemoveVmRemovesOne) {
  store_->UpsertWorld("netlab", "alice", 1);
  store_->UpsertWorld("netlab", "bob", 2);
  store_->SetVm(Vm("alice", "web"));
  store_->SetVm(Vm("alice", "db"));
  store_->SetVm(Vm("bob", "web"));
  store_->RemoveVm("netlab", "bob", "web");
  EXPECT_TRUE(store_->Vms(std::nullopt, "bob").empty());
  EXPECT_EQ(store_->Worlds(std::nullopt, "bob").size(), 1u);

  store_->RemoveWorld("netlab", "alice");
  EXPECT_TRUE(store_->Worlds(std::nullopt, "alice").empty());
  EXPECT_TRUE(store_->Vms(std::nullopt, std::nullopt).empty());
  EXPECT_EQ(store_->FindVmByDomain("w-netlab-alice-web"), std::nullopt);
  store_->RemoveWorld("netlab", "alice");  // absent: nothing to do
}

TEST_F(StoreTest, QuotesRoundTripThroughBoundParameters) {
  store_->UpsertUser("obrien", "Miles O'Brien", "crew");
  store_->UpsertLab("netlab", "labs/it's.yaml", "Robert'); DROP TABLE worlds;--");
  store_->UpsertWorld("netlab", "O'Brien", 1);
  VmRecord vm = Vm("O'Brien", "web");
  vm.overlay = "/tmp/a \"quoted\" path/it's.qcow2";
  store_->SetVm(vm);
  auto found = store_->FindVm("netlab", "O'Brien", "web");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->owner, "O'Brien");
  EXPECT_EQ(found->overlay, "/tmp/a \"quoted\" path/it's.qcow2");
  EXPECT_EQ(store_->Worlds(std::nullopt, "O'Brien").size(), 1u);

  Event event;
  event.actor = "O'Brien";
  event.action = "start";
  event.detail = "said \"hi\"; it's fine";
  store_->AddEvent(event);
  EventFilter filter;
  filter.actor = "O'Brien";
  auto events = store_->Events(filter);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].detail, "said \"hi\"; it's fine");
}

TEST_F(StoreTest, BaseImagesUpsert) {
  EXPECT_EQ(store_->FindBaseImage("/srv/base.qcow2"), std::nullopt);
  BaseImageRecord record{"/srv/base.qcow2", std::string(64, 'a'), 1 << 20, 1700000000123456789};
  store_->SetBaseImage(record);
  record.checksum = std::string(64, 'b');
  store_->SetBaseImage(record);
  auto found = store_->FindBaseImage("/srv/base.qcow2");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->checksum, std::string(64, 'b'));
  EXPECT_EQ(found->size, 1 << 20);
  EXPECT_EQ(found->mtime_ns, 1700000000123456789);
}

TEST_F(StoreTest, DeploymentsBeginAndFinish) {
  int64_t first = store_->BeginDeployment("netlab", "teacher", "--roster r.csv");
  int64_t second = store_->BeginDeployment("netlab", "teacher", "");
  EXPECT_NE(first, second);
  store_->FinishDeployment(first, "ok", "3 Worlds");
  {
    const core::Error e = support::ThrownError([&] { store_->FinishDeployment(999, "ok", ""); });
    EXPECT_EQ(e.message(), "no deployment 999 to finish");
  }
}

TEST_F(StoreTest, EventsFilterByActorOrOwnerInTargetSinceAndLimit) {
  auto add = [&](const std::string& at, const std::string& actor, const std::string& target) {
    Event event;
    event.at = at;
    event.uid = 1000;
    event.actor = actor;
    event.action = "start";
    event.target = target;
    event.result = "ok";
    return store_->AddEvent(event);
  };
  add("2024-01-01T00:00:00.000Z", "alice", "w-netlab-alice-web");
  add("2024-01-02T00:00:00.000Z", "admin", "w-netlab-alice-db");
  add("2024-01-03T00:00:00.000Z", "admin", "w-netlab-alicex-db");
  add("2024-01-04T00:00:00.000Z", "bob", "w-netlab-bob-web");
  add("2024-01-05T00:00:00.000Z", "admin", "w-net_lab-bo_-web");
  int64_t last = add("", "admin", "w-netlab-alice-web");

  EventFilter all;
  auto events = store_->Events(all);
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events.back().id, last);
  EXPECT_EQ(events.back().at.size(), 24u) << events.back().at;  // set by the store
  EXPECT_EQ(events.front().uid, 1000);

  EventFilter alice;
  alice.actor = "alice";
  std::vector<std::string> targets;
  for (const auto& e : store_->Events(alice)) targets.push_back(e.target);
  EXPECT_EQ(targets, (std::vector<std::string>{"w-netlab-alice-web", "w-netlab-alice-db",
                                               "w-netlab-alice-web"}));

  EventFilter bob;  // '_' is not a wildcard
  bob.actor = "bob";
  EXPECT_EQ(store_->Events(bob).size(), 1u);

  EventFilter since;
  since.since = "2024-01-04";
  EXPECT_EQ(store_->Events(since).size(), 3u);

  EventFilter newest;
  newest.limit = 2;
  events = store_->Events(newest);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].target, "w-net_lab-bo_-web");
  EXPECT_EQ(events[1].id, last);
}

TEST_F(StoreTest, EventTimesAreComparedAsTimesWhateverTheirZone) {
  auto add = [&](const std::string& at, const std::string& target) {
    Event event;
    event.at = at;
    event.action = "start";
    event.target = target;
    return store_->AddEvent(event);
  };
  add("2024-01-01T23:30:00+02:00", "a");  // 21:30 UTC
  add("2024-01-01T22:00:00Z", "b");
  add("2024-01-02 01:00", "c");           // SQLite's form without a zone: UTC
  std::vector<std::string> ats;
  for (const Event& e : store_->Events({})) ats.push_back(e.at);
  EXPECT_EQ(ats, (std::vector<std::string>{"2024-01-01T21:30:00.000Z",
                                           "2024-01-01T22:00:00.000Z",
                                           "2024-01-02T01:00:00.000Z"}));
  auto targets_since = [&](const std::string& since) {
    EventFilter filter;
    filter.since = since;
    std::string targets;
    for (const Event& e : store_->Events(filter)) targets += e.target;
    return targets;
  };
  // As strings "2024-01-01T23:00:00+01:00" sorts after all three; as a time
  // it is 22:00 UTC.
  EXPECT_EQ(targets_since("2024-01-01T23:00:00+01:00"), "bc");
  EXPECT_EQ(targets_since("2024-01-01T21:30:00.001Z"), "bc");
  EXPECT_EQ(targets_since("2024-01-01T21:30:00.000Z"), "abc");
  EXPECT_EQ(targets_since("2024-01-02"), "c");
  try {
    targets_since("yesterday");
    FAIL() << "expected core::Error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.message(), "events since: 'yesterday' is not a time");
  }
  try {
    add("last tuesday", "d");
    FAIL() << "expected core::Error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.message(), "event time: 'last tuesday' is not a time");
  }
}

TEST_F(StoreTest, InTransactionCommitsOrRollsBack) {
  store_->InTransaction([&] { store_->UpsertWorld("netlab", "alice", 1); });
  EXPECT_THROW(store_->InTransaction([&] {
    store_->UpsertWorld("netlab", "bob", 2);
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  EXPECT_TRUE(store_->Worlds(std::nullopt, "bob").empty());
  EXPECT_EQ(store_->Worlds(std::nullopt, "alice").size(), 1u);
  // The connection is usable after a rollback.
  store_->InTransaction([&] { store_->UpsertWorld("netlab", "carol", 3); });
  EXPECT_EQ(store_->Worlds("netlab", std::nullopt).size(), 2u);
}

TEST(StoreFileTest, TwoStoresOnOneFileSeeEachOthersWrites) {
  support::TempDir dir("worlds-store-");
  std::string path = dir.File("state.db");
  auto first = Store::Open(path);
  auto second = Store::Open(path);
  first->UpsertLab("netlab", "labs/netlab.yaml", "");
  first->UpsertWorld("netlab", "alice", 1);
  EXPECT_EQ(second->Worlds("netlab", std::nullopt).size(), 1u);
  second->SetVm(Vm("alice", "web", VmPhase::kReady));
  auto vm = first->FindVm("netlab", "alice", "web");
  ASSERT_TRUE(vm.has_value());
  EXPECT_EQ(vm->phase, VmPhase::kReady);
  // A transaction holds the write lock until it ends; the other store's
  // writes wait (busy_timeout) rather than fail once it commits.
  first->InTransaction([&] { first->UpsertWorld("netlab", "bob", 2); });
  second->RemoveWorld("netlab", "bob");
  EXPECT_TRUE(first->Worlds(std::nullopt, "bob").empty());
}

TEST(StoreFileTest, ForeignKeysAreEnforcedOnAFile) {
  support::TempDir dir("worlds-store-");
  auto store = Store::Open(dir.File("state.db"));
  store->UpsertLab("netlab", "", "");
  EXPECT_THROW(store->SetVm(Vm("alice", "web")), core::Error);
  store->UpsertWorld("netlab", "alice", 1);
  store->SetVm(Vm("alice", "web"));
  store->RemoveWorld("netlab", "alice");
  EXPECT_TRUE(store->Vms(std::nullopt, std::nullopt).empty());
}

}  // namespace
}  // namespace store
