#include "hosts/inventory.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "fakes/fake_hypervisor.h"
#include "store/store.h"
#include "support/error_text.h"

namespace hosts {
namespace {

store::HostRecord Host(const std::string& name, const std::string& uri) {
  store::HostRecord host;
  host.name = name;
  host.uri = uri;
  host.storage_dir = kDefaultStorageDir;
  return host;
}

std::string Refusal(const store::HostRecord& host) {
  try {
    CheckHost(host);
  } catch (const core::InputError& e) {
    return e.Describe();
  }
  return "accepted";
}

TEST(CheckHostTest, TakesTheQemuSystemInstanceHereOrOverSshOrTls) {
  for (const char* uri :
       {"qemu:///system", "qemu+unix:///system", "qemu+ssh://root@lab2/system",
        "qemu+ssh://root@198.51.100.2:2222/system?keyfile=/root/k&no_verify=1",
        "qemu+tls://lab2.example.edu/system", "qemu+libssh2://root@lab2/system",
        "qemu+ssh://lab2/system"}) {
    EXPECT_EQ(Refusal(Host("lab2", uri)), "accepted") << uri;
  }
}

TEST(CheckHostTest, RefusesWhatCannotBeALabHostSayingWhy) {
  EXPECT_EQ(Refusal(Host("lab2", "qemu+tcp://lab2/system")),
            "uri: 'qemu+tcp://lab2/system' would reach libvirtd unencrypted and, without SASL, "
            "unauthenticated (use qemu+ssh:// (or qemu+tls://))");
  EXPECT_EQ(Refusal(Host("lab2", "qemu+ssh://root@lab2/session")),
            "uri: 'qemu+ssh://root@lab2/session' is not libvirt's system instance (path "
            "/session) (end it in /system: Worlds' networks, bridges and cgroups are root's)");
  EXPECT_EQ(Refusal(Host("lab2", "qemu://lab2/system")),
            "uri: 'qemu://lab2/system' names a host but qemu:// reaches only this machine's "
            "libvirtd (use qemu+ssh://lab2/system)");
  EXPECT_EQ(Refusal(Host("lab2", "qemu+ssh:///system")),
            "uri: 'qemu+ssh:///system' names no host (e.g. qemu+ssh://root@lab2/system)");
  for (const char* bad : {"lab2", "xen+ssh://root@lab2/system", "lxc:///system",
                          "qemu+ssh://root@lab2", "://lab2/system", ""}) {
    EXPECT_NE(Refusal(Host("lab2", bad)), "accepted") << bad;
  }
  EXPECT_NE(Refusal(Host("Lab 2", "qemu:///system")), "accepted");
  store::HostRecord host = Host("lab2", "qemu+ssh://root@lab2/system");
  for (const char* dir : {"", "var/lib/worlds", "/var/lib/../etc", "/var/./lib"}) {
    host.storage_dir = dir;
    EXPECT_EQ(Refusal(host).rfind("storage dir: '", 0), 0u) << dir << ": " << Refusal(host);
  }
  host.storage_dir = "/srv/worlds";
  host.memory_mib = 0;
  EXPECT_EQ(Refusal(host).rfind("memory: ", 0), 0u);
  host.memory_mib = 20480;
  host.vcpus = -1;
  EXPECT_EQ(Refusal(host).rfind("vcpus: ", 0), 0u);
  host.vcpus = 16;
  host.keep_free_mib = -5;
  EXPECT_EQ(Refusal(host).rfind("keep free: ", 0), 0u);
}

TEST(CheckHostTest, LocalUris) {
  EXPECT_TRUE(IsLocalUri("qemu:///system"));
  EXPECT_FALSE(IsLocalUri("qemu+ssh://root@lab2/system"));
}

class InventoryTest : public ::testing::Test {
 protected:
  InventoryTest() : store_(store::Store::Open(":memory:")) {
    connect_ = [this](const std::string& uri) -> std::unique_ptr<virt::Hypervisor> {
      connected_.push_back(uri);
      if (uri.find("down") != std::string::npos) {
        throw core::Error("cannot connect: no route to host", uri);
      }
      auto hv = std::make_unique<fakes::FakeHypervisor>();
      hv->host = {65536, 60000, 32};
      return hv;
    };
  }
  std::vector<store::Event> Events() { return store_->Events({}); }

  std::unique_ptr<store::Store> store_;
  Connector connect_;
  std::vector<std::string> connected_;
  Actor prof_{1000, "prof"};
};

TEST_F(InventoryTest, AddAsksTheHostFirstThenRecordsItAndAnEvent) {
  Probe probe = AddHost(*store_, Host("lab2", "qemu+ssh://root@lab2/system"), &connect_, prof_);
  EXPECT_TRUE(probe.reachable);
  EXPECT_EQ(probe.info.memory_mib, 65536);
  EXPECT_EQ(connected_, std::vector<std::string>{"qemu+ssh://root@lab2/system"});
  std::optional<store::HostRecord> host = store_->FindHost("lab2");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->storage_dir, "/var/lib/worlds");
  EXPECT_EQ(host->added_by, "prof");
  EXPECT_FALSE(host->draining);
  EXPECT_FALSE(host->memory_mib);
  ASSERT_EQ(Events().size(), 1u);
  EXPECT_EQ(Events()[0].action, "host add");
  EXPECT_EQ(Events()[0].target, "lab2");
  EXPECT_EQ(Events()[0].uid, 1000);
}

TEST_F(InventoryTest, AnUnreachableHostIsRefusedAndNothingRecorded) {
  std::string error = support::ErrorText([&] {
    AddHost(*store_, Host("lab3", "qemu+ssh://root@down/system"), &connect_, prof_);
  });
  EXPECT_NE(error.find("cannot reach lab host 'lab3' at qemu+ssh://root@down/system"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("--no-check"), std::string::npos) << error;
  EXPECT_TRUE(store_->Hosts().empty());
  EXPECT_TRUE(Events().empty());
  // --no-check: recorded without asking.
  connected_.clear();
  Probe probe = AddHost(*store_, Host("lab3", "qemu+ssh://root@down/system"), nullptr, prof_);
  EXPECT_FALSE(probe.reachable);
  EXPECT_TRUE(connected_.empty());
  EXPECT_TRUE(store_->FindHost("lab3"));
}

TEST_F(InventoryTest, BadInputChangesNothingAndNamesAndUrisAreUnique) {
  EXPECT_THROW(AddHost(*store_, Host("lab2", "qemu+tcp://lab2/system"), &connect_, prof_),
               core::InputError);
  EXPECT_TRUE(connected_.empty()) << "checked before connecting";
  AddHost(*store_, Host("lab2", "qemu+ssh://root@lab2/system"), &connect_, prof_);
  connected_.clear();
  EXPECT_THROW(AddHost(*store_, Host("lab2", "qemu+ssh://root@other/system"), &connect_, prof_),
               core::InputError);
  EXPECT_TRUE(connected_.empty()) << "refused before asking the host";
  EXPECT_NE(support::ErrorText([&] {
              AddHost(*store_, Host("lab2", "qemu+ssh://root@other/system"), &connect_, prof_);
            }).find("a lab host named 'lab2' is already in the inventory"),
            std::string::npos);
  EXPECT_NE(support::ErrorText([&] {
              AddHost(*store_, Host("again", "qemu+ssh://root@lab2/system"), &connect_, prof_);
            }).find("is already in the inventory as lab host 'lab2'"),
            std::string::npos);
  EXPECT_EQ(store_->Hosts().size(), 1u);
  EXPECT_EQ(Events().size(), 1u);
}

TEST_F(InventoryTest, RemoveIsRefusedWhileAWorldLivesThere) {
  AddHost(*store_, Host("lab2", "qemu+ssh://root@lab2/system"), &connect_, prof_);
  store_->UpsertLab("netlab", "labs/netlab.yaml", "");
  store_->UpsertWorld("netlab", "alice", 1);
  store_->SetWorldHost("netlab", "alice", "lab2");
  EXPECT_EQ(store_->Worlds("netlab", "alice")[0].host, "lab2");
  EXPECT_EQ(store_->CountWorldsOn("lab2"), 1);
  EXPECT_EQ(store_->CountWorldsOn(""), 0);
  EXPECT_THROW(RemoveHost(*store_, "lab2", prof_), core::InputError);
  std::string error = support::ErrorText([&] { RemoveHost(*store_, "lab2", prof_); });
  EXPECT_NE(error.find("lab host 'lab2' still holds 1 World(s)"), std::string::npos) << error;
  EXPECT_NE(error.find("worlds host drain lab2"), std::string::npos) << error;
  EXPECT_TRUE(store_->FindHost("lab2"));

  store_->SetWorldHost("netlab", "alice", "");
  RemoveHost(*store_, "lab2", prof_);
  EXPECT_FALSE(store_->FindHost("lab2"));
  EXPECT_EQ(Events().back().action, "host remove");
  EXPECT_NE(support::ErrorText([&] { RemoveHost(*store_, "lab2", prof_); })
                .find("no lab host named 'lab2' in the inventory"),
            std::string::npos);
  EXPECT_NE(support::ErrorText([&] { store_->SetWorldHost("netlab", "alice", "nowhere"); })
                .find("no lab host named 'nowhere'"),
            std::string::npos);
  EXPECT_NE(support::ErrorText([&] { store_->SetWorldHost("netlab", "bob", ""); })
                .find("no World of 'bob' in lab 'netlab'"),
            std::string::npos);
}

TEST_F(InventoryTest, DrainAndUndrain) {
  AddHost(*store_, Host("lab2", "qemu+ssh://root@lab2/system"), &connect_, prof_);
  SetDraining(*store_, "lab2", true, prof_);
  EXPECT_TRUE(store_->FindHost("lab2")->draining);
  EXPECT_EQ(Events().back().action, "host drain");
  SetDraining(*store_, "lab2", false, prof_);
  EXPECT_FALSE(store_->FindHost("lab2")->draining);
  EXPECT_EQ(Events().back().action, "host undrain");
  EXPECT_THROW(SetDraining(*store_, "lab9", true, prof_), core::InputError);
}

TEST_F(InventoryTest, LimitsAreKept) {
  store::HostRecord host = Host("lab2", "qemu+ssh://root@lab2/system");
  host.memory_mib = 20480;
  host.vcpus = 12;
  host.keep_free_mib = 10240;
  host.storage_dir = "/srv/worlds";
  AddHost(*store_, host, &connect_, prof_);
  store::HostRecord back = *store_->FindHost("lab2");
  EXPECT_EQ(back.memory_mib, 20480);
  EXPECT_EQ(back.vcpus, 12);
  EXPECT_EQ(back.keep_free_mib, 10240);
  EXPECT_EQ(back.storage_dir, "/srv/worlds");
  EXPECT_FALSE(back.added_at.empty());
}

}  // namespace
}  // namespace hosts
